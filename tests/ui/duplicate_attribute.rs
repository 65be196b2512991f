use pickle::Pickle;

#[derive(Pickle)]
#[pickle(module = "a")]
#[pickle(module = "b")]
struct Point {
    #[pickle(rename = "X", rename = "Y")]
    x: i64,
}

fn main() {}
