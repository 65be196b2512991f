use pickle::Pickle;

#[derive(Pickle)]
#[pickle(deny_unknown_fields = "yes")]
struct Point {
    #[pickle(skip = true)]
    x: i64,
    #[pickle(bytes(strict))]
    y: Vec<u8>,
}

fn main() {}
