use pickle::Pickle;

#[derive(Pickle)]
#[pickle]
struct Point {
    #[pickle = "x"]
    x: i64,
    #[pickle(rename = )]
    y: i64,
}

fn main() {}
