// Package imagetest tests the server image that the repository's Dockerfile
// describes, without Docker: its tests parse the Dockerfile, build the
// final stage's filesystem in a temporary directory from what the build
// stage's RUN lines produce, and run the ENTRYPOINT and the HEALTHCHECK in
// it with chroot as the image's USER and with the image's ENV only.
//
// What it proves and what it cannot (the golang base image, `docker build`
// itself) is in docs/deploy.md, "Getting the binaries and the image". The
// package holds tests only; nothing links it.
package imagetest
