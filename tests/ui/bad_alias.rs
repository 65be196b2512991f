use pickle::Pickle;

#[derive(Pickle)]
#[pickle(alias = "Point", alias = "old..Point", alias = "old:", module = "", name = "Outer Inner")]
struct Point {
    x: i64,
}

fn main() {}
