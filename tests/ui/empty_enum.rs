use pickle::Pickle;

#[derive(Pickle)]
enum Never {}

fn main() {}
