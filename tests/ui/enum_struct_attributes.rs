use pickle::Pickle;

#[derive(Pickle)]
#[pickle(slots, deny_unknown_fields, transparent)]
enum Color {
    Red,
}

fn main() {}
