plugins {
    java
}

group = "com.acme"
