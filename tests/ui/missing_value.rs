use pickle::Pickle;

#[derive(Pickle)]
#[pickle(module, alias)]
struct Point {
    #[pickle(rename)]
    x: i64,
    #[pickle(with)]
    y: i64,
}

fn main() {}
