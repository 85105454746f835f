module goexpvar

go 1.19
