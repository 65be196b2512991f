use pickle::Pickle;

#[derive(Pickle)]
struct Point {
    x: i64,
    #[pickle(rename = "x")]
    y: i64,
}

fn main() {}
