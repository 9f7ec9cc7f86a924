package com.acme;

final class Util {}
