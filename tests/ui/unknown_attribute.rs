use pickle::Pickle;

#[derive(Pickle)]
#[pickle(modul = "geometry")]
struct Point {
    #[pickle(skp)]
    x: i64,
}

fn main() {}
