use pickle::Pickle;

#[derive(Pickle)]
#[pickle(skip)]
struct Point {
    #[pickle(module = "geometry")]
    x: i64,
}

#[derive(Pickle)]
enum Color {
    #[pickle(rename = "red")]
    Red,
}

fn main() {}
