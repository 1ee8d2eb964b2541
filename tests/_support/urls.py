"""URLs a reply may carry that the download policy must refuse (DNS-free literals)."""

REFUSED = [
    "https://127.0.0.1/a.png",
    "https://127.0.0.2:8443/a.png",
    "https://10.1.2.3/a.png",
    "https://172.16.0.1/a.png",
    "https://192.168.1.1/a.png",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/a.png",
    "https://0.0.0.0/a.png",
    "https://224.0.0.1/a.png",
    "https://255.255.255.255/a.png",
    "https://[::1]/a.png",
    "https://[fd00::1]/a.png",
    "https://[fe80::1]/a.png",
    "https://[::ffff:127.0.0.1]/a.png",
    "https://[::ffff:a9fe:a9fe]/latest",  # 169.254.169.254, mapped
    "https://[2002:7f00:1::]/a.png",  # 6to4 around 127.0.0.1
    "https://[::]/a.png",
    "https://2130706433/a.png",  # 127.0.0.1 in decimal
    "https://0x7f.1/a.png",  # and in hex
    "https://127.1/a.png",
    "https://017700000001/a.png",  # and in octal
    "https://localhost/a.png",
    "https://images.localhost/a.png",
    "http://93.184.215.14/a.png",  # plain http off the gateway
    "http://cdn.example.com/a.png",
    "https://user:hunter2@cdn.example.com/a.png",
    "ftp://cdn.example.com/a.png",
    "file:///etc/passwd",
    "https:///a.png",
]
