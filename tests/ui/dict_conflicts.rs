use pickle::Pickle;

#[derive(Pickle)]
#[pickle(dict, slots)]
struct Slotted {
    x: i64,
}

#[derive(Pickle)]
#[pickle(frozen_slots, dict, getnewargs)]
struct Frozen {
    x: i64,
}

#[derive(Pickle)]
#[pickle(dict, transparent, state = "point_state")]
struct Wrapper {
    x: i64,
}

#[derive(Pickle)]
#[pickle(dict, module = "geometry", name = "Point", alias = "legacy.Point")]
struct Named {
    x: i64,
}

fn main() {}
