use pickle::Pickle;

#[derive(Pickle)]
#[pickle(slots)]
struct Point(i64, i64);

#[derive(Pickle)]
#[pickle(slots)]
struct Marker;

fn main() {}
