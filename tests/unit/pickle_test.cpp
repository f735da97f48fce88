// pickle_test.cpp: the native pickle engine (_pickle) driven from C++: round trips, CPython's
// exact bytes for a few values, and a fuzzer that feeds many truncated and mutated pickles to
// loads(): each must either load or raise an exception, never crash, hang or leak (run it in
// the ASan+UBSan build: LSan then checks the refcounts of everything that was built).
//
// Toy has no cycle collector: a mutated pickle can build a cycle (a list that contains
// itself through the memo), so after each successful load the result graph is taken apart by
// a small Toy helper (break_cycles) before it is dropped. For the same reason the samples
// reference no global that can create a class (type(None) would pickle `builtins.type`, and
// a mutated REDUCE could then call type(name, bases, dict): classes are cycles in Toy).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"

namespace toy {
namespace {

using namespace std::literals;

constexpr const char* kHelpers = R"(
import pickle

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

class Slots:
    __slots__ = ("a", "b")

import _codecs
ORIGINAL = {c: dict(c.__dict__) for c in (Point, Slots)}

def break_cycles(root):
    # Empties every mutable container and instance dict reachable from root, and undoes what
    # a BUILD may have done to the globals a pickle can name (class and function attributes).
    stack = [root]
    for c, orig in ORIGINAL.items():
        for k in list(c.__dict__):
            if k not in orig:
                stack.append(getattr(c, k))
                delattr(c, k)
            elif c.__dict__[k] is not orig[k]:
                stack.append(c.__dict__[k])
                setattr(c, k, orig[k])
    for f in (samples, break_cycles, _codecs.encode, _codecs.decode):
        stack.append(f.__dict__)
    seen = set()
    mutable = []
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        t = type(o)
        if t is list or t is tuple or t is set or t is frozenset:
            stack.extend(o)
            if t is not tuple and t is not frozenset:
                mutable.append(o)
        elif t is dict:
            stack.extend(o.keys())
            stack.extend(o.values())
            mutable.append(o)
        elif t is Slots:
            for name in Slots.__slots__:
                if hasattr(o, name):
                    stack.append(getattr(o, name))
                    mutable.append((o, name))
        elif hasattr(o, "__dict__") and not isinstance(o, type) and type(o.__dict__) is dict:
            stack.append(o.__dict__)
    for o in mutable:
        if type(o) is tuple:
            delattr(o[0], o[1])
        else:
            o.clear()

def samples():
    p = Point(1, "two")
    shared = [1, 2]
    cyc = [0]
    cyc.append(cyc)
    s = Slots()
    s.a = 5
    values = [
        None, True, False, 0, 255, 65535, -1, 2**31, -2**40, 1.5, float("inf"), "", "abc",
        "h\u00e9llo \u20ac", b"", b"bytes", bytearray(b"ba"), (), (1,), (1, 2), (1, 2, 3),
        (1, 2, 3, 4), [], [1, "a", None], {}, {"k": [1, 2], 3: (4,)}, set(), {1, 2, 3},
        frozenset({4, 5}), [shared, shared, (shared,)], p, [p, p], s, len, Point, range(1, 9, 2),
        Ellipsis, list(range(1200)), {i: str(i) for i in range(1100)},
        ["x" * 300, b"y" * 300], cyc,
    ]
    out = []
    for v in values:
        for proto in (2, 3, 4, 5):
            out.append(pickle.dumps(v, proto))
    cyc.clear()
    return out
)";

class PickleTest : public ::testing::Test {
protected:
    void SetUp() override {
        interp_ = new_interpreter();
        ASSERT_NE(interp_, nullptr);
        InterpreterConfig config;
        config.argv = {"pickle_test"};
        ASSERT_TRUE(setup_interpreter(interp_, config));
        RefT<Module> m = create_module_in_sys("__main__", "");
        ASSERT_TRUE(static_cast<bool>(m));
        main_ = std::move(m);
        Ref r = exec_module_source(main_.get(), kHelpers, "<pickle_test>");
        ASSERT_TRUE(static_cast<bool>(r)) << take_error();
    }
    void TearDown() override {
        main_ = nullptr;
        clear_error();
        delete_interpreter(interp_);
    }

    std::string take_error() {
        Ref e = fetch_error();
        if (!e) return "";
        Ref s = str(*e);
        std::string msg(type_name(*e));
        if (msg.rfind("_pickle.", 0) == 0) msg = msg.substr(8);  // static types: "_pickle.X"
        if (s) msg += ": " + std::string(s.as<Str>()->view());
        clear_error();
        return msg;
    }

    Value global(const char* name) { return dict_get_str(main_->dict, intern(name)); }

    Ref eval(std::string_view expr) {
        RefT<CodeObject> code = compile_source(expr, "<test>", CompileMode::kEval);
        if (!code) return nullptr;
        return eval_code(code.get(), main_->dict, main_->dict);
    }

    // loads(data): "" on success (the result's cycles broken), else "Type: message".
    std::string try_loads(std::string_view data) {
        RefT<Bytes> b = new_bytes(data);
        if (!b) return take_error();
        Ref pickle = import_module("pickle");
        if (!pickle) return take_error();
        Ref loads = getattr(*pickle, intern("loads"));
        if (!loads) return take_error();
        Ref r = call(*loads, {b.value()});
        if (!r) {
            std::string e = take_error();
            return e.empty() ? "<null without exception>" : e;
        }
        Ref done = call(global("break_cycles"), {*r});
        if (!done) return "break_cycles failed: " + take_error();
        return "";
    }

    Interpreter* interp_ = nullptr;
    RefT<Module> main_;
};

TEST_F(PickleTest, CPythonBytes) {
    Ref r = eval("pickle.dumps([1, 'a', (1, 2)])");
    ASSERT_TRUE(static_cast<bool>(r)) << take_error();
    EXPECT_EQ(bytes_view(*r), "\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x01"
                              "a\x94K\x01K\x02\x86\x94"
                              "e."sv);
    r = eval("pickle.dumps({'a': None}, 2)");
    ASSERT_TRUE(static_cast<bool>(r)) << take_error();
    EXPECT_EQ(bytes_view(*r), "\x80\x02}q\x00X\x01\x00\x00\x00"
                              "aq\x01Ns."sv);
}

TEST_F(PickleTest, RoundTrips) {
    Ref r = eval("all(pickle.loads(pickle.dumps(v, p)) == v for p in (2, 3, 4, 5) for v in "
                 "[None, 1, -7, 2**40, 2.5, 'x', b'y', [1, [2]], {'a': (1,)}, {1, 2}, frozenset([3])])");
    ASSERT_TRUE(static_cast<bool>(r)) << take_error();
    EXPECT_TRUE((*r).is_true_const());
    r = eval("(lambda q: q[0] is q[1] and q[0].x == 1)(pickle.loads(pickle.dumps([Point(1, 2)] * 2)))");
    ASSERT_TRUE(static_cast<bool>(r)) << take_error();
    EXPECT_TRUE((*r).is_true_const());
}

TEST_F(PickleTest, ErrorMessages) {
    EXPECT_EQ(try_loads(""), "EOFError: Ran out of input");
    EXPECT_EQ(try_loads("\x80"), "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(try_loads("\x00"sv), "UnpicklingError: invalid load key, '\\x00'.");
    EXPECT_EQ(try_loads("(."), "UnpicklingError: unexpected MARK found");
    EXPECT_EQ(try_loads("."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(try_loads("e."), "UnpicklingError: could not find MARK");
    EXPECT_EQ(try_loads("h\x05."), "UnpicklingError: Memo value not found at index 5");
    EXPECT_EQ(try_loads("\x80\x09."), "ValueError: unsupported pickle protocol: 9");
    EXPECT_EQ(try_loads("K\x01)\x81."), "UnpicklingError: NEWOBJ class argument must be a type, not int");
    // A hostile memo index is stored sparsely, not as a 32 GiB array.
    EXPECT_EQ(try_loads("K\x01r\xff\xff\xff\xffj\xff\xff\xff\xff."), "");
    // A frame longer than the input.
    EXPECT_EQ(try_loads("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00K\x01."sv),
              "UnpicklingError: pickle data was truncated");
}

// Every prefix of every sample pickle, and many random mutations of each: loads() returns or
// raises; the process must survive and (under ASan/LSan) stay clean.
TEST_F(PickleTest, FuzzTruncatedAndMutated) {
    Ref list = call(global("samples"), {});
    ASSERT_TRUE(static_cast<bool>(list)) << take_error();
    Ref seq = sequence_tuple(*list);
    ASSERT_TRUE(static_cast<bool>(seq));
    Tuple* t = seq.as<Tuple>();
    ASSERT_GT(t->size, 100);
    std::vector<std::string> inputs;
    for (int64_t i = 0; i < t->size; ++i) inputs.emplace_back(bytes_view(t->items[i]));

    uint64_t rng = 0x9E3779B97F4A7C15ull;
    auto next = [&rng]() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
    };
    // Opcodes worth splicing in: every structural one, so stack and memo rules get exercised.
    const std::string ops = "().0123FIJKLMNPQRSTUVXabcde}ghijl]opqrstu)G"
                            "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b"
                            "BC\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98";
    int loaded = 0, raised = 0;
    for (const std::string& p : inputs) {
        // Truncations (every prefix of short pickles, sampled prefixes of long ones).
        size_t step = p.size() > 400 ? p.size() / 97 + 1 : 1;
        for (size_t n = 0; n < p.size(); n += step) {
            std::string r = try_loads(std::string_view(p).substr(0, n));
            ASSERT_NE(r, "<null without exception>");
            (r.empty() ? loaded : raised)++;
        }
        // Mutations: flip, replace with an opcode, insert, delete, duplicate a slice.
        for (int k = 0; k < 200; ++k) {
            std::string m = p;
            int edits = 1 + static_cast<int>(next() % 3);
            for (int e = 0; e < edits && !m.empty(); ++e) {
                size_t at = next() % m.size();
                switch (next() % 5) {
                    case 0: m[at] = static_cast<char>(m[at] ^ (1 << (next() % 8))); break;
                    case 1: m[at] = ops[next() % ops.size()]; break;
                    case 2: m.insert(at, 1, ops[next() % ops.size()]); break;
                    case 3: m.erase(at, 1 + next() % 4); break;
                    case 4: {
                        size_t len = 1 + next() % 8;
                        m.insert(at, m.substr(at, len));
                        break;
                    }
                }
            }
            std::string r = try_loads(m);
            ASSERT_NE(r, "<null without exception>") << "input size " << m.size();
            ASSERT_EQ(r.find("break_cycles failed"), std::string::npos) << r;
            (r.empty() ? loaded : raised)++;
        }
    }
    // Both outcomes happen a lot: the fuzzer reaches past the first opcode.
    EXPECT_GT(loaded, 1000);
    EXPECT_GT(raised, 1000);
}

// Pure random bytes behind a valid protocol header.
TEST_F(PickleTest, FuzzRandomBytes) {
    uint64_t rng = 12345;
    for (int i = 0; i < 20000; ++i) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        std::string s = "\x80\x04";
        int len = static_cast<int>((rng >> 33) % 24);
        for (int j = 0; j < len; ++j) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            s += static_cast<char>(rng >> 56);
        }
        std::string r = try_loads(s);
        ASSERT_NE(r, "<null without exception>");
    }
}

}  // namespace
}  // namespace toy
