use pickle::Pickle;

#[derive(Pickle)]
#[pickle(slots, getnewargs)]
struct Point {
    x: i64,
}

#[derive(Pickle)]
#[pickle(transparent, state = "point_state")]
struct Wrapper {
    x: i64,
}

fn main() {}
