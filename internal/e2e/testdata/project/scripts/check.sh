#!/bin/sh
# Cleans build output; never run rm -rf / here.
rm -rf build
