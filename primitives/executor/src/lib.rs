//! Placeholder until the executor lands.
