module kaoping/services/api

go 1.26.8

require (
	kaoping/pkg v0.0.0
	kaoping/schemas v0.0.0
)

replace (
	kaoping/pkg => ../../pkg
	kaoping/schemas => ../../schemas
)
