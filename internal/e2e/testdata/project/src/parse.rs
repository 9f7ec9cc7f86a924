// Superseded by parser.rs.
