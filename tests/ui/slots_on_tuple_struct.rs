use pickle::Pickle;

#[derive(Pickle)]
#[pickle(slots)]
struct Point(i64, i64);

#[derive(Pickle)]
#[pickle(slots)]
struct Marker;

#[derive(Pickle)]
#[pickle(frozen_slots)]
struct Frozen(i64, i64);

fn main() {}
