use pickle::Pickle;

#[derive(Pickle)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
