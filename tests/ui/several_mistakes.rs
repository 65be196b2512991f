use pickle::Pickle;

// Every mistake is reported in one compile, each at its own token.
#[derive(Pickle)]
#[pickle(module = "geometry", modul = "typo", rename_all = "camel", alias = "a.B", alias = "a.B")]
struct Point {
    #[pickle(skip, rename = "X")]
    x: i64,
    #[pickle(default = 3, bytes = "yes")]
    y: Vec<u8>,
    #[pickle(value = "z")]
    z: i64,
}

fn main() {}
