"""Reference outputs of DataGenerator's algorithm, from this independent Python version of the
published SplitMix64 and xoshiro256** (Blackman & Vigna). Prints the values that
tests/Ember.Data.Tests/GeneratorTests.cs hard-codes:
    /usr/bin/python3 tests/reference/make_generator_reference.py
"""
MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro(seed):
    s, x = [], seed
    for _ in range(4):
        x, v = splitmix64(x)
        s.append(v)
    while True:
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


for seed in (0, 42):
    g = xoshiro(seed)
    print(seed, [next(g) for _ in range(4)])
g = xoshiro(7)
print("double", [(next(g) >> 11) * 2.0 ** -53 for _ in range(2)])
