use pickle::Pickle;

#[derive(Pickle)]
enum Color {
    Red,
    Green,
    Custom(u8, u8, u8),
}

fn main() {}
