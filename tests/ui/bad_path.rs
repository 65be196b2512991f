use pickle::Pickle;

#[derive(Pickle)]
#[pickle(state = "not a path")]
struct Point {
    #[pickle(with = "1 + 2")]
    x: i64,
}

fn main() {}
