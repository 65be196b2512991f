use pickle::Pickle;

#[derive(Pickle)]
struct Point {
    #[pickle(skip, rename = "X")]
    x: i64,
    #[pickle(skip, with = "my_module", bytes)]
    y: Vec<u8>,
}

fn main() {}
