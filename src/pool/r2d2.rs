//! An [`r2d2`](::r2d2) connection manager for ferrolite (feature `r2d2`).
