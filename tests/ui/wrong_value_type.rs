use pickle::Pickle;

#[derive(Pickle)]
#[pickle(module = 5, name = geometry::Point)]
struct Point {
    #[pickle(rename = true)]
    x: i64,
    #[pickle(default = 3)]
    y: i64,
}

fn main() {}
