use pickle::Pickle;

#[derive(Pickle)]
#[pickle(state = "temperature_state", rename_all = "camelCase")]
struct Temperature {
    #[pickle(rename = "c")]
    celsius: f64,
}

fn main() {}
