module local.invalid/lattice-pause

go 1.26.0
