module expvastic.local/fixture-server

go 1.19
