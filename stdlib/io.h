// io.h: file objects (the `_io` types behind open(), sys.stdin/stdout/stderr).
//
// One C++ layout, FileObject, serves four Python types, as CPython's layered io stack would
// in one object: `_io.TextIOWrapper` (text, str in and out, UTF-8, universal newlines on
// read), `_io.BufferedReader`, `_io.BufferedWriter`, `_io.BufferedRandom` (bytes).
//
// Buffering: writes go to an in-object buffer (8 KiB) flushed when it fills, on flush(),
// close(), seek(), deallocation and at exit; a line-buffered file (a tty stdout, stderr)
// also flushes after each write containing a newline. Reads fill a 64 KiB buffer. print()
// writes straight into the buffer of an exact FileObject (no method lookup, no syscall per
// call when stdout is a pipe or a file).
//
// sys.stderr holds a reference to sys.stdout's file object and flushes it before each of
// its own writes, so that merged output keeps the order in which it was produced.
//
// System calls retry on EINTR. The GIL release around blocking reads and writes comes in
// issue 3 (see the `GIL-RELEASE:` markers in io.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/type.h"

namespace toy {

struct Str;

extern Type textio_type;            // _io.TextIOWrapper
extern Type buffered_reader_type;   // _io.BufferedReader
extern Type buffered_writer_type;   // _io.BufferedWriter
extern Type buffered_random_type;   // _io.BufferedRandom
extern Type unsupported_operation_type;  // io.UnsupportedOperation (an OSError)

struct FileObject : Object {
    int fd = -1;
    bool readable = false;
    bool writable = false;
    bool binary = false;
    bool closefd = true;
    bool closed = false;
    bool line_buffered = false;
    bool write_through = false;  // flush after every write (stderr)
    bool append = false;
    bool eof = false;         // the fd reported end of file
    bool skip_lf = false;     // text read: the last chunk ended in '\r'
    bool translate = true;    // text read: universal newlines (newline=None)
    bool seekable_known = false;
    bool is_seekable = false;
    Value name = Value::null();  // owned: str or int (a file descriptor)
    Str* mode = nullptr;         // owned
    Str* encoding = nullptr;     // owned (text files)
    FileObject* flush_first = nullptr;  // owned: flushed before each write (stderr -> stdout)
    std::string wbuf;
    std::string rbuf;
    size_t rpos = 0;
    // Text read: indices in rbuf of the '\n's that stand for a "\r\n" in the file (tell()
    // counts two bytes for them).
    std::vector<size_t> crlf;
};

void init_io_types();  // once per process (setup_interpreter calls it)

inline bool is_file_object(Value v) {
    if (!v.is_object()) return false;
    Type* t = v.as_object()->type;
    return t == &textio_type || t == &buffered_reader_type || t == &buffered_writer_type ||
           t == &buffered_random_type;
}

// A file object over an already open descriptor (sys.std* streams). mode "r" or "w".
// write_through: every write is flushed at once (sys.stderr).
RefT<FileObject> new_std_stream(int fd, std::string_view name, bool write, bool line_buffered,
                                bool write_through = false);

// open(file, mode, ...) as the builtin.
Ref builtin_open(Value self, CallArgs a);

// Appends text (already UTF-8) to a writable file's buffer; false with an exception set.
bool file_write_bytes(FileObject* f, std::string_view data);
bool file_flush(FileObject* f);
// Reads one line (with its newline) from a readable text file into *out; at end of file
// *out is empty. False with an exception set.
bool file_readline(FileObject* f, std::string* out);

// Writes `text` to any file-like object: straight into the buffer for an exact FileObject in
// text mode, else via its `write` method.
bool write_to(Value file, std::string_view text);
bool write_to(Value file, Str* text);
// Calls file.flush() (fast for FileObject).
bool flush_file(Value file);

}  // namespace toy
