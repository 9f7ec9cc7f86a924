package com.acme.orders;

class OrderServiceTest {
    void computesTotal() {
        int total = 10;
        assertEquals(10, total);
    }
}
