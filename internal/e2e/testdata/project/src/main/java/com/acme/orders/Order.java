package com.acme.orders;

public record Order(int getTotal) {}
