use pickle::Pickle;

#[derive(Pickle)]
struct Blob {
    #[pickle(with = "my_module", bytes)]
    data: Vec<u8>,
}

fn main() {}
