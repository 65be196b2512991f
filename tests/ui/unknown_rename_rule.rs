use pickle::Pickle;

#[derive(Pickle)]
#[pickle(rename_all = "Title Case")]
struct Point {
    x: i64,
}

fn main() {}
