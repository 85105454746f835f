module expvastic/go-reference

go 1.19
