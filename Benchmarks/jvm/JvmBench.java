// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// JvmBench — the "JVM" system of the repo's Bench (Benchmarks/Bench): Java's
// java.util.concurrent.ThreadPoolExecutor over an ArrayBlockingQueue, driven
// through the same workloads W1–W7 as the Swift systems.
//
// Built and run by the Swift harness, never by hand in a measurement:
//
//     javac -d <dir> JvmBench.java
//     java <fixed JVM flags> -cp <dir> JvmBench WORKLOAD key=value key=value ...
//
// JVM flags: the harness passes the JVM flags; see Benchmarks/Bench.
//
// CLI contract:
//   * One measurement per process.  The workload runs once as a JIT warm-up
//     (fresh pool, results thrown away; W7 excepted, see w7), then
//     System.gc() is called once, then it runs once more, measured, on a
//     fresh pool.
//   * Exactly one line starting with "RESULT " goes to stdout:
//         RESULT key=value key=value ...
//     with plain decimal values: the workload's figures, cpu_us_per_task
//     (process user+sys CPU over the timed region / tasks / 1000),
//     minor_faults (minflt of /proc/self/stat over the timed region), and
//     every parameter echoed back as param_<key>=<value>.  Everything else
//     goes to stderr.
//   * Exit status 0 on success; 1 on any error (unknown workload, missing or
//     unknown key, bad value, wrong checked sum, exception).
//
// Every parameter (task counts, workers, queue capacity, ...) comes from the
// command line and none has a default here, so nothing can drift from the
// Swift side.

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

public final class JvmBench {
  private JvmBench() {}

  /** An error to report as a one-line message (no stack trace). */
  static final class BenchException extends Exception {
    private static final long serialVersionUID = 1L;

    BenchException(String message) {
      super(message);
    }
  }

  // MARK: - Entry point

  /** One repetition of a workload: builds its own pool, returns its figures. */
  @FunctionalInterface
  interface Runner {
    Result run(Args args) throws Exception;
  }

  /** A workload's keys, its body, and whether it gets a warm-up repetition. */
  record Spec(List<String> keys, Runner runner, boolean warmUp) {}

  static Spec spec(String workload) throws BenchException {
    return switch (workload) {
      case "W1" -> new Spec(List.of("tasks", "workers", "capacity"), JvmBench::w1, true);
      case "W2" -> new Spec(
          List.of("workers", "warmup", "samples", "capacity"), a -> w2(a, false), true);
      case "W2busy" -> new Spec(
          List.of("workers", "warmup", "samples", "capacity", "busy", "max_ms"), a -> w2(a, true), true);
      case "W3" -> new Spec(List.of("tasks", "workers", "capacity"), JvmBench::w3, true);
      case "W4" -> new Spec(
          List.of("items", "workers", "capacity", "lookahead"), JvmBench::w4, true);
      case "W5" -> new Spec(List.of("tasks", "workers", "capacity"), JvmBench::w5, true);
      case "W6" -> new Spec(
          List.of("tasks_per_submitter", "submitters", "workers", "capacity"), JvmBench::w6, true);
      // No warm-up for W7: see w7.
      case "W7" -> new Spec(List.of("tasks", "capacity"), JvmBench::w7, false);
      default -> throw new BenchException(
          "unknown workload '" + workload + "' (expected W1, W2, W2busy, W3, W4, W5, W6 or W7)");
    };
  }

  public static void main(String[] argv) {
    int status;
    try {
      if (argv.length < 1) {
        throw new BenchException("usage: JvmBench WORKLOAD key=value ...");
      }
      Spec spec = spec(argv[0]);
      Args args = Args.parse(argv[0], Arrays.copyOfRange(argv, 1, argv.length), spec.keys());
      if (spec.warmUp()) {
        spec.runner().run(args); // JIT warm-up; its figures are thrown away
      }
      System.gc();
      Result result = spec.runner().run(args);
      for (String key : spec.keys()) {
        result.put("param_" + key, args.echo(key));
      }
      String line = result.line(); // validates every value before printing
      System.out.println(line);
      System.out.flush();
      status = System.out.checkError() ? 1 : 0;
      if (status != 0) {
        System.err.println("JvmBench: error: could not write the RESULT line");
      }
    } catch (BenchException e) {
      System.err.println("JvmBench: error: " + e.getMessage());
      status = 1;
    } catch (Throwable t) {
      System.err.println("JvmBench: error: " + t);
      t.printStackTrace(System.err);
      status = 1;
    }
    // Explicit exit: a stray non-daemon thread must not keep the child alive.
    System.exit(status);
  }

  // MARK: - Arguments

  /** key=value arguments of one workload: every key required, no other key. */
  static final class Args {
    private final String workload;
    private final Map<String, Long> values;

    private Args(String workload, Map<String, Long> values) {
      this.workload = workload;
      this.values = values;
    }

    static Args parse(String workload, String[] argv, List<String> keys) throws BenchException {
      Map<String, Long> values = new LinkedHashMap<>();
      for (String arg : argv) {
        int eq = arg.indexOf('=');
        if (eq <= 0) {
          throw new BenchException(workload + ": argument '" + arg + "' is not key=value");
        }
        String key = arg.substring(0, eq);
        String text = arg.substring(eq + 1);
        if (!keys.contains(key)) {
          throw new BenchException(
              workload + ": unknown key '" + key + "' (expected " + String.join(", ", keys) + ")");
        }
        if (values.containsKey(key)) {
          throw new BenchException(workload + ": key '" + key + "' given twice");
        }
        if (!text.matches("[0-9]+")) {
          throw new BenchException(
              workload + ": " + key + "=" + text + " is not a non-negative decimal integer");
        }
        try {
          values.put(key, Long.parseLong(text));
        } catch (NumberFormatException e) {
          throw new BenchException(workload + ": " + key + "=" + text + " is out of range");
        }
      }
      for (String key : keys) {
        if (!values.containsKey(key)) {
          throw new BenchException(workload + ": missing key '" + key + "'");
        }
      }
      return new Args(workload, values);
    }

    /** The value of key, which must lie in [min, max]. */
    int getInt(String key, int min, int max) throws BenchException {
      Long value = values.get(key);
      if (value == null) {
        throw new BenchException(workload + ": missing key '" + key + "'");
      }
      if (value < min || value > max) {
        throw new BenchException(
            workload + ": " + key + "=" + value + " is outside [" + min + ", " + max + "]");
      }
      return (int) (long) value;
    }

    /** The value as parsed, for the param_ echo. */
    String echo(String key) {
      return Long.toString(values.get(key));
    }
  }

  /** The largest task count that still leaves input + 1 inside an int. */
  static final int MAX_TASKS = Integer.MAX_VALUE - 8;

  // MARK: - Result line

  /** The figures of one run, in insertion order. */
  static final class Result {
    private final Map<String, String> fields = new LinkedHashMap<>();

    Result put(String key, long value) {
      fields.put(key, Long.toString(value));
      return this;
    }

    Result put(String key, double value) throws BenchException {
      if (!Double.isFinite(value)) {
        throw new BenchException("figure " + key + " is not finite (" + value + ")");
      }
      // Plain decimal, never the E notation of Double.toString.
      fields.put(key, BigDecimal.valueOf(value).toPlainString());
      return this;
    }

    Result put(String key, String value) {
      fields.put(key, value);
      return this;
    }

    /** Adds cpu_us_per_task and minor_faults of a measured region over `tasks`. */
    Result common(Measure m, long tasks) throws BenchException {
      return put("cpu_us_per_task", m.cpuNanos() / (double) tasks / 1000.0)
          .put("minor_faults", m.minorFaults());
    }

    String line() {
      StringBuilder sb = new StringBuilder("RESULT");
      fields.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
      return sb.toString();
    }
  }

  // MARK: - Measurement

  /**
   * Wall time, process CPU time (user+sys) and minor faults of a timed
   * region.  The CPU and fault readings bracket the wall-clock readings, so
   * the wall time does not include them.
   *
   * CPU time is read per thread, in nanoseconds, from the first field of
   * /proc/self/task/<tid>/schedstat (time on a CPU), for every thread of
   * the process — the JIT compiler's and the collector's too — and summed
   * over the threads alive at the end (a thread that ended inside the region
   * takes its time with it; a new one counts from zero).  Not
   * OperatingSystemMXBean.getProcessCpuTime(): on Linux OpenJDK 17 reads it
   * with times(2), in 10 ms clock ticks, too coarse for a figure per task.
   */
  static final class Measure {
    private long faults0, wall0, wall1, faults1;
    private java.util.Map<String, Long> cpu0, cpu1;

    private Measure() {}

    static Measure start() throws BenchException {
      Measure m = new Measure();
      m.faults0 = minorFaultsNow();
      m.cpu0 = threadCpuNanos();
      m.wall0 = System.nanoTime();
      return m;
    }

    void stop() throws BenchException {
      wall1 = System.nanoTime();
      cpu1 = threadCpuNanos();
      faults1 = minorFaultsNow();
    }

    double seconds() {
      return (wall1 - wall0) / 1e9;
    }

    /** CPU over the region: each thread alive at its end, from zero if it
     * started inside it. */
    long cpuNanos() {
      long total = 0;
      for (var e : cpu1.entrySet()) {
        total += e.getValue() - cpu0.getOrDefault(e.getKey(), 0L);
      }
      return total;
    }

    long minorFaults() {
      return faults1 - faults0;
    }

    static long processCpuNanos() throws BenchException {
      return sum(threadCpuNanos());
    }

    /** Each live thread's CPU time so far, in ns, by tid. */
    static java.util.Map<String, Long> threadCpuNanos() throws BenchException {
      java.util.Map<String, Long> times = new java.util.HashMap<>();
      try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
        for (Path task : tasks) {
          try {
            String line = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII);
            times.put(task.getFileName().toString(), Long.parseLong(line.split(" ", 2)[0].trim()));
          } catch (java.nio.file.NoSuchFileException gone) {
            // the thread ended meanwhile
          }
        }
      } catch (java.io.IOException | NumberFormatException e) {
        throw new BenchException("cannot read /proc/self/task/*/schedstat: " + e);
      }
      return times;
    }

    private static long sum(java.util.Map<String, Long> times) {
      long total = 0;
      for (long t : times.values()) {
        total += t;
      }
      return total;
    }

    /** Field 10 (minflt) of /proc/self/stat. */
    static long minorFaultsNow() throws BenchException {
      String stat;
      try {
        stat = new String(Files.readAllBytes(Path.of("/proc/self/stat")), StandardCharsets.US_ASCII);
      } catch (java.io.IOException e) {
        throw new BenchException("cannot read /proc/self/stat: " + e);
      }
      // Field 2 (comm) is parenthesised and may hold spaces or ')': split
      // after the last ')'.  What follows starts with field 3 (state).
      int close = stat.lastIndexOf(')');
      if (close < 0) {
        throw new BenchException("malformed /proc/self/stat: " + stat);
      }
      String[] rest = stat.substring(close + 1).trim().split("\\s+");
      final int minflt = 10 - 3; // field 10, counted from field 3
      if (rest.length <= minflt) {
        throw new BenchException("malformed /proc/self/stat: " + stat);
      }
      return Long.parseLong(rest[minflt]);
    }
  }

  /** A "Vm...:" line of /proc/self/status, in bytes. */
  static long procStatusBytes(String field) throws BenchException {
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
    } catch (java.io.IOException e) {
      throw new BenchException("cannot read /proc/self/status: " + e);
    }
    String prefix = field + ":";
    for (String line : lines) {
      if (line.startsWith(prefix)) {
        String[] parts = line.substring(prefix.length()).trim().split("\\s+");
        if (parts.length != 2 || !parts[1].equals("kB")) {
          throw new BenchException("malformed /proc/self/status line: " + line);
        }
        return Long.parseLong(parts[0]) * 1024;
      }
    }
    throw new BenchException("no " + field + " line in /proc/self/status");
  }

  // MARK: - Pools and tasks

  static ThreadPoolExecutor newPool(int workers, int capacity) {
    return new ThreadPoolExecutor(
        workers, workers, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity));
  }

  /** Untimed teardown after every measured or warm-up run. */
  static void shutdown(ThreadPoolExecutor pool) throws Exception {
    pool.shutdown();
    if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
      throw new BenchException("pool did not terminate within 60 s");
    }
  }

  /** The no-op task: returns its input + 1. */
  static Callable<Integer> increment(int input) {
    return () -> input + 1;
  }

  @SuppressWarnings("unchecked") // a Future<?>[] only ever holding Future<Integer>
  static Future<Integer>[] futures(int n) {
    return (Future<Integer>[]) new Future<?>[n];
  }

  /** Σ (i + 1) for i in 0..<n. */
  static long incrementSum(long n) {
    return n * (n + 1) / 2;
  }

  static void check(String what, long sum, long expected) throws BenchException {
    if (sum != expected) {
      throw new BenchException(what + ": sum of results " + sum + ", expected " + expected);
    }
  }

  // MARK: - W1

  /** W1: one submitter, every future kept, then all waited for in order. */
  static Result w1(Args a) throws Exception {
    int tasks = a.getInt("tasks", 1, MAX_TASKS);
    int workers = a.getInt("workers", 1, 1 << 16);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    ThreadPoolExecutor pool = newPool(workers, capacity);
    Future<Integer>[] futures = futures(tasks);

    Measure m = Measure.start();
    for (int i = 0; i < tasks; i++) {
      futures[i] = pool.submit(increment(i));
    }
    long sum = 0;
    for (int i = 0; i < tasks; i++) {
      sum += futures[i].get();
    }
    m.stop();

    shutdown(pool);
    check("W1", sum, incrementSum(tasks));
    return new Result().put("throughput", tasks / m.seconds()).common(m, tasks);
  }

  // MARK: - W2 and W2busy

  /** Daemon threads spinning on a volatile flag, with their CPU time. */
  static final class Spinners {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private volatile boolean stop;
    /** Each spinner's count, written once so its loop cannot be removed. */
    private volatile long sink;
    private final Thread[] threads;

    Spinners(int count) throws Exception {
      if (count > 0 && !(THREADS.isThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled())) {
        throw new BenchException("per-thread CPU time is not available on this JVM");
      }
      threads = new Thread[count];
      CountDownLatch running = new CountDownLatch(count);
      for (int i = 0; i < count; i++) {
        threads[i] = new Thread(() -> {
          running.countDown();
          long counter = 0;
          while (!stop) {
            counter++;
          }
          sink = counter;
        }, "busy-" + i);
        threads[i].setDaemon(true);
        threads[i].start();
      }
      running.await(); // every spinner is spinning before the timed region
    }

    /** Total CPU time of the spinners so far, in ns. */
    long cpuNanos() throws BenchException {
      long total = 0;
      for (Thread t : threads) {
        long ns = THREADS.getThreadCpuTime(t.getId());
        if (ns < 0) {
          throw new BenchException("no CPU time for busy thread " + t.getName());
        }
        total += ns;
      }
      return total;
    }

    /** Stops the spinners and waits for them to end. */
    void stopAll() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join();
      }
    }
  }

  /** Percentile p (in tenths of a percent) of sorted: index ceil(p/100 · n) − 1. */
  static long percentile(long[] sorted, int perMille) {
    int n = sorted.length;
    // ceil(perMille · n / 1000) in integers: 0.999 · n in doubles can round up.
    long index = (perMille * (long) n + 999) / 1000 - 1;
    index = Math.max(0, Math.min(n - 1, index));
    return sorted[(int) index];
  }

  /**
   * W2: one task at a time, submitted to an idle pool and waited for.  With
   * busy, `busy` spinning threads compete for the CPUs meanwhile, and their
   * CPU time is taken out of cpu_us_per_task.
   */
  static Result w2(Args a, boolean withBusy) throws Exception {
    int workers = a.getInt("workers", 1, 1 << 16);
    int warmup = a.getInt("warmup", 0, MAX_TASKS);
    int samples = a.getInt("samples", 1, MAX_TASKS - warmup);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    int busy = withBusy ? a.getInt("busy", 0, 1 << 12) : 0;
    // W2busy: sampling ends after max_ms (once warmup + 1,000 round trips
    // are done), as the Swift side's time cap.
    long maxNanos = withBusy ? a.getInt("max_ms", 1, Integer.MAX_VALUE) * 1_000_000L : Long.MAX_VALUE;
    int rounds = warmup + samples;
    ThreadPoolExecutor pool = newPool(workers, capacity);
    long[] elapsed = new long[samples];
    long sum = 0;
    Measure m;
    long busyNanos;

    Spinners spinners = new Spinners(busy);
    try {
      // Busy CPU is read inside the process CPU readings, so that the
      // window it is taken out of is never the narrower one.
      m = Measure.start();
      long busy0 = spinners.cpuNanos();
      long capAt = System.nanoTime() + maxNanos;
      int done = 0;
      for (int i = 0; i < rounds; i++) {
        if (i >= warmup + 1000 && System.nanoTime() > capAt) {
          break;
        }
        done = i + 1;
        long t0 = System.nanoTime();
        Future<Integer> f = pool.submit(increment(i));
        int v = f.get();
        long dt = System.nanoTime() - t0;
        if (i >= warmup) {
          elapsed[i - warmup] = dt;
        }
        sum += v;
      }
      busyNanos = spinners.cpuNanos() - busy0;
      m.stop();
      rounds = done;
    } finally {
      spinners.stopAll();
    }

    shutdown(pool);
    check(withBusy ? "W2busy" : "W2", sum, incrementSum(rounds));
    elapsed = Arrays.copyOf(elapsed, rounds - warmup);
    Arrays.sort(elapsed);
    Result r = new Result()
        .put("p50", percentile(elapsed, 500) / 1000.0)
        .put("p99", percentile(elapsed, 990) / 1000.0)
        .put("p999", percentile(elapsed, 999) / 1000.0);
    if (!withBusy) {
      return r.common(m, rounds);
    }
    return r.put("cpu_us_per_task", (m.cpuNanos() - busyNanos) / (double) rounds / 1000.0)
        .put("minor_faults", m.minorFaults())
        .put("busy_cpu_us", busyNanos / 1000.0);
  }

  // MARK: - W3

  /** W3: every task sleeps 1 ms; the pool is created inside the timed region. */
  static Result w3(Args a) throws Exception {
    int tasks = a.getInt("tasks", 1, MAX_TASKS);
    int workers = a.getInt("workers", 1, 1 << 16);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    Future<Integer>[] futures = futures(tasks);

    Measure m = Measure.start();
    ThreadPoolExecutor pool = newPool(workers, capacity);
    for (int i = 0; i < tasks; i++) {
      final int input = i;
      futures[i] = pool.submit(() -> {
        Thread.sleep(1);
        return input + 1;
      });
    }
    long sum = 0;
    for (int i = 0; i < tasks; i++) {
      sum += futures[i].get();
    }
    m.stop();

    shutdown(pool);
    check("W3", sum, incrementSum(tasks));
    return new Result().put("wall", m.seconds()).common(m, tasks);
  }

  // MARK: - W4

  /** W4: ordered map of x·2 with at most `lookahead` futures in flight. */
  static Result w4(Args a) throws Exception {
    int items = a.getInt("items", 1, Integer.MAX_VALUE / 2);
    int workers = a.getInt("workers", 1, 1 << 16);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    int lookahead = a.getInt("lookahead", 1, 1 << 24);
    ThreadPoolExecutor pool = newPool(workers, capacity);
    Future<Integer>[] ring = futures(lookahead);

    Measure m = Measure.start();
    int first = Math.min(lookahead, items);
    for (int x = 0; x < first; x++) {
      ring[x] = pool.submit(doubled(x));
    }
    long sum = 0;
    for (int i = 0; i < items; i++) {
      int slot = i % lookahead;
      sum += ring[slot].get();
      int next = i + lookahead;
      ring[slot] = next < items ? pool.submit(doubled(next)) : null;
    }
    m.stop();

    shutdown(pool);
    check("W4", sum, (long) items * (items - 1));
    return new Result()
        .put("throughput", items / m.seconds())
        .common(m, items)
        .put("peak_rss", procStatusBytes("VmHWM"));
  }

  static Callable<Integer> doubled(int x) {
    return () -> x * 2;
  }

  // MARK: - W5

  /** W5: W1's pattern, results taken in completion order. */
  static Result w5(Args a) throws Exception {
    int tasks = a.getInt("tasks", 1, MAX_TASKS);
    int workers = a.getInt("workers", 1, 1 << 16);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    ThreadPoolExecutor pool = newPool(workers, capacity);
    ExecutorCompletionService<Integer> completion = new ExecutorCompletionService<>(pool);

    Measure m = Measure.start();
    for (int i = 0; i < tasks; i++) {
      completion.submit(increment(i));
    }
    long sum = 0;
    for (int i = 0; i < tasks; i++) {
      sum += completion.take().get();
    }
    m.stop();

    shutdown(pool);
    check("W5", sum, incrementSum(tasks));
    return new Result().put("throughput", tasks / m.seconds()).common(m, tasks);
  }

  // MARK: - W6

  /**
   * W6: several submitters against a small bounded queue, blocked while it
   * is full and woken as the workers drain it.
   */
  static Result w6(Args a) throws Exception {
    int perSubmitter = a.getInt("tasks_per_submitter", 1, MAX_TASKS);
    int submitters = a.getInt("submitters", 1, MAX_TASKS / perSubmitter);
    int workers = a.getInt("workers", 1, 1 << 16);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    long total = (long) submitters * perSubmitter;

    // The classic blocking-submit idiom: a rejected task (queue full) is put
    // into the queue, blocking the submitter until there is room.  A put
    // racing shutdown() (which would strand the task) is not a concern here:
    // shutdown happens only after every get has returned.
    RejectedExecutionHandler blockUntilRoom = (r, executor) -> {
      try {
        executor.getQueue().put(r);
      } catch (InterruptedException e) {
        throw new RejectedExecutionException(e);
      }
    };
    ThreadPoolExecutor pool = new ThreadPoolExecutor(
        workers, workers, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity),
        blockUntilRoom);
    // All workers exist before the first submit, so the handler never puts
    // into a pool that has no worker to take from the queue.
    pool.prestartAllCoreThreads();

    CountDownLatch ready = new CountDownLatch(submitters);
    CountDownLatch go = new CountDownLatch(1);
    long[] sums = new long[submitters];
    Throwable[] failures = new Throwable[submitters];
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < submitters; t++) {
      final int thread = t;
      Thread th = new Thread(() -> {
        try {
          Future<Integer>[] mine = futures(perSubmitter);
          ready.countDown();
          go.await();
          for (int k = 0; k < perSubmitter; k++) {
            mine[k] = pool.submit(increment(thread * perSubmitter + k));
          }
          long sum = 0;
          for (int k = 0; k < perSubmitter; k++) {
            sum += mine[k].get();
          }
          sums[thread] = sum;
        } catch (Throwable e) {
          failures[thread] = e;
        }
      }, "submitter-" + t);
      threads.add(th);
      th.start();
    }
    ready.await(); // threads started and their future arrays allocated, untimed

    Measure m = Measure.start();
    go.countDown();
    for (Thread th : threads) {
      th.join();
    }
    m.stop();

    shutdown(pool);
    long sum = 0;
    for (int t = 0; t < submitters; t++) {
      if (failures[t] != null) {
        throw new BenchException("W6: submitter " + t + " failed: " + failures[t]);
      }
      sum += sums[t];
    }
    check("W6", sum, incrementSum(total));
    return new Result().put("throughput", total / m.seconds()).common(m, total);
  }

  // MARK: - W7

  /**
   * W7: resident memory held by queued, not yet started tasks, behind the
   * only worker, which is gated.  No warm-up repetition: it would leave the
   * heap's pages touched and hide the very growth being measured.
   */
  static Result w7(Args a) throws Exception {
    int tasks = a.getInt("tasks", 1, MAX_TASKS);
    int capacity = a.getInt("capacity", 1, Integer.MAX_VALUE);
    ThreadPoolExecutor pool = newPool(1, capacity);
    // The caller's array is allocated and touched before the first reading:
    // it is the caller's memory, not the pool's.
    Future<Integer>[] futures = futures(tasks);
    Arrays.fill(futures, null);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    Future<Integer> gateTask = pool.submit(() -> {
      running.countDown();
      gate.await();
      return 0;
    });
    running.await(); // the only worker is now blocked on the gate

    Runtime rt = Runtime.getRuntime();
    long rss0 = procStatusBytes("VmRSS");
    long heap0 = rt.totalMemory() - rt.freeMemory();
    Measure m = Measure.start();
    for (int i = 0; i < tasks; i++) {
      futures[i] = pool.submit(increment(i));
    }
    m.stop();
    long heap1 = rt.totalMemory() - rt.freeMemory();
    long rss1 = procStatusBytes("VmRSS");

    gate.countDown();
    long sum = gateTask.get();
    for (int i = 0; i < tasks; i++) {
      sum += futures[i].get();
    }
    shutdown(pool);
    check("W7", sum, incrementSum(tasks));
    return new Result()
        .put("bytes_per_task", (rss1 - rss0) / (double) tasks)
        .put("heap_bytes_per_task", (heap1 - heap0) / (double) tasks)
        .common(m, tasks);
  }
}
