use pickle::Pickle;

#[derive(Pickle)]
#[pickle(rename_all = "lowercase")]
enum Color {
    #[pickle(value = "red")]
    Red,
    Green,
}

#[derive(Pickle)]
#[pickle(str_values)]
enum Mode {
    #[pickle(value = 1)]
    Read,
    #[pickle(value = "Write")]
    Write,
    Append = 5,
}

#[derive(Pickle)]
enum Level {
    Low = 1,
    #[pickle(value = 1)]
    High,
}

#[derive(Pickle)]
enum Size {
    #[pickle(value = 1.5)]
    Half,
    #[pickle(value)]
    Whole,
}

fn main() {}
