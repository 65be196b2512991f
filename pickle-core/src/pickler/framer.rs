//! FRAME boundaries, kept apart from the rest of the pickler. (Being written.)
