module github.com/moviesplatform/auth-svc

go 1.26.0

require github.com/moviesplatform/platform v0.0.0

replace github.com/moviesplatform/platform => ../platform
