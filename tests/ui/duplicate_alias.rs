use pickle::Pickle;

#[derive(Pickle)]
#[pickle(module = "geometry", alias = "old.Point", alias = "old.Point", alias = "geometry.Point")]
struct Point {
    x: i64,
}

fn main() {}
