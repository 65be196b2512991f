use pickle::Pickle;

#[derive(Pickle)]
struct Circle {
    r: f64,
}

#[derive(Pickle)]
#[pickle(module = "shapes", str_values)]
enum Shape {
    Circle(Circle),
    Square { side: f64 },
    Line(f64, f64),
    #[pickle(value = 3)]
    Dot(Circle),
    Empty,
}

fn main() {}
