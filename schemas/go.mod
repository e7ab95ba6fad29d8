module kaoping/schemas

go 1.26.8
