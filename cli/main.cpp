// main.cpp: the `toy` command, the first embedder: it uses only the public API
// (include/toy/toy.h).
//
//   toy FILE [ARGS...]     run a script (sys.argv[0] = FILE, sys.path[0] = its folder)
//   toy -c CODE [ARGS...]  run CODE (sys.argv[0] = '-c')
//   toy - [ARGS...]        run the program read from stdin (sys.argv[0] = '-')
//   toy --dis FILE         print the disassembly of FILE's code
//   toy --version, toy --help
//
// Exit status: 0; 1 after an uncaught exception (traceback on stderr) or a syntax error;
// sys.exit(n): n (None: 0; another object: printed to stderr, 1); 130 after an uncaught
// KeyboardInterrupt; 120 if flushing stdout fails at exit; 2 for a usage error or a script
// that cannot be opened.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "toy/toy.h"

namespace {

constexpr const char* kVersionText = "Toy 0.1.0 (Python 3.11 language subset)\n";
constexpr const char* kUsage =
    "usage: toy [option] ... [-c cmd | file | -] [arg] ...\n"
    "Options:\n"
    "  -c cmd     program passed in as string (terminates option list)\n"
    "  -h, --help print this help message and exit\n"
    "  -V, --version\n"
    "             print the Toy version number and exit\n"
    "  --dis file print the bytecode of file and exit\n"
    "  --gil-policy=interval|tick\n"
    "             how the GIL changes hands: every switch interval on request (CPython\n"
    "             3.2+, the default) or every N instructions with no hand-off (CPython < 3.2)\n"
    "  --switch-interval=SECONDS\n"
    "             the interval policy's switch interval (default 0.005)\n"
    "  --check-interval=N\n"
    "             the tick policy's instruction count (default 100)\n"
    "Arguments:\n"
    "  file       program read from script file\n"
    "  -          program read from stdin\n"
    "  arg ...    arguments passed to program in sys.argv[1:]\n"
    "Environment:\n"
    "  TOYPATH    ':'-separated list of folders prefixed to the module search path\n";

void write_fd(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t w = ::write(fd, s.data(), s.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        s.remove_prefix(static_cast<size_t>(w));
    }
}

bool read_all_fd(int fd, std::string* out) {
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (r == 0) return true;
        out->append(buf, static_cast<size_t>(r));
    }
}

bool read_file(const std::string& path, std::string* out, int* err) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return false;
    }
    bool ok = read_all_fd(fd, out);
    *err = errno;
    ::close(fd);
    return ok;
}

std::string absolute_path(const std::string& path) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf)) return buf;
    if (!path.empty() && path[0] == '/') return path;
    if (::getcwd(buf, sizeof buf)) return std::string(buf) + "/" + path;
    return path;
}

std::string dir_of(const std::string& abs) {
    size_t slash = abs.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return abs.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
    enum class Mode { kFile, kCommand, kStdin, kDis } mode = Mode::kStdin;
    std::string source_arg;  // file path or command text
    int first_arg = argc;    // index of sys.argv[1]
    std::string gil_policy = "interval";
    double switch_interval = 0;
    long check_interval = 0;
    std::vector<std::string> sys_argv;

    int i = 1;
    for (; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--version" || a == "-V") {
            write_fd(1, kVersionText);
            return 0;
        }
        if (a == "--help" || a == "-h" || a == "-?") {
            write_fd(1, kUsage);
            return 0;
        }
        if (a == "--dis") {
            if (i + 1 >= argc) {
                write_fd(2, "Argument expected for the --dis option\n");
                write_fd(2, kUsage);
                return 2;
            }
            mode = Mode::kDis;
            source_arg = argv[i + 1];
            first_arg = i + 2;
            sys_argv.push_back(source_arg);
            break;
        }
        if (a == "-c") {
            if (i + 1 >= argc) {
                write_fd(2, "Argument expected for the -c option\n");
                write_fd(2, "usage: toy [option] ... [-c cmd | file | -] [arg] ...\n"
                            "Try `toy -h' for more information.\n");
                return 2;
            }
            mode = Mode::kCommand;
            source_arg = argv[i + 1];
            sys_argv.push_back("-c");
            first_arg = i + 2;
            break;
        }
        if (a.size() > 2 && a[0] == '-' && a[1] == 'c') {  // -cCODE
            mode = Mode::kCommand;
            source_arg = std::string(a.substr(2));
            sys_argv.push_back("-c");
            first_arg = i + 1;
            break;
        }
        if (a == "-") {
            mode = Mode::kStdin;
            sys_argv.push_back("-");
            first_arg = i + 1;
            break;
        }
        if (a == "--") {
            continue;
        }
        if (a.substr(0, 13) == "--gil-policy=") {
            gil_policy = std::string(a.substr(13));
            if (gil_policy != "interval" && gil_policy != "tick") {
                write_fd(2, "toy: --gil-policy must be 'interval' or 'tick'\n");
                return 2;
            }
            continue;
        }
        if (a.substr(0, 18) == "--switch-interval=" || a.substr(0, 17) == "--check-interval=") {
            bool is_switch = a[2] == 's';
            std::string value(a.substr(is_switch ? 18 : 17));
            char* end = nullptr;
            double v = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || !(v > 0)) {
                write_fd(2, "toy: " + std::string(a) + ": expected a positive number\n");
                return 2;
            }
            if (is_switch) {
                switch_interval = v;
            } else {
                check_interval = static_cast<long>(v);
            }
            continue;
        }
        if (!a.empty() && a[0] == '-') {
            std::string msg = "Unknown option: " + std::string(a) + "\n";
            msg += "usage: toy [option] ... [-c cmd | file | -] [arg] ...\n"
                   "Try `toy -h' for more information.\n";
            write_fd(2, msg);
            return 2;
        }
        mode = Mode::kFile;
        source_arg = argv[i];
        sys_argv.push_back(source_arg);
        first_arg = i + 1;
        break;
    }
    if (sys_argv.empty()) sys_argv.push_back("");
    for (int k = first_arg; k < argc; ++k) sys_argv.push_back(argv[k]);

    // Read the program before creating anything.
    std::string source;
    std::string filename;
    std::string script_dir;
    if (mode == Mode::kFile || mode == Mode::kDis) {
        int err = 0;
        if (!read_file(source_arg, &source, &err)) {
            std::string msg = std::string(argv[0]) + ": can't open file '" +
                              absolute_path(source_arg) + "': [Errno " + std::to_string(err) +
                              "] " + strerror(err) + "\n";
            write_fd(2, msg);
            return 2;
        }
        // As CPython 3.9+: __file__ and the code's filename are the path made absolute (not
        // normalised); sys.path[0] is the real folder of the script.
        filename = source_arg;
        if (filename.empty() || filename[0] != '/') {
            char cwd[PATH_MAX];
            if (::getcwd(cwd, sizeof cwd)) filename = std::string(cwd) + "/" + filename;
        }
        script_dir = dir_of(absolute_path(source_arg));
    } else if (mode == Mode::kCommand) {
        source = source_arg;
        filename = "<string>";
    } else {
        if (!read_all_fd(0, &source)) {
            write_fd(2, "toy: can't read the program from stdin\n");
            return 2;
        }
        filename = "<stdin>";
    }

    toy::InterpreterOptions options;
    options.argv = sys_argv;
    options.script_dir = script_dir;
    options.handle_signals = true;
    options.gil_policy = gil_policy;
    options.switch_interval = switch_interval;
    options.check_interval = check_interval;
    toy::Interpreter* interp = toy::create_interpreter(options);
    if (!interp) return 1;

    int status = 0;
    if (mode == Mode::kDis) {
        std::string listing;
        if (toy::disassemble_source(interp, source, filename, &listing)) {
            write_fd(1, listing);
        } else {
            status = 1;
        }
    } else {
        status = toy::run_main(interp, source, filename, mode != Mode::kCommand);
    }
    if (!toy::destroy_interpreter(interp) && status == 0) status = 120;
    return status;
}
