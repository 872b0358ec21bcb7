// A conversion killed (SIGKILL, in a child process) at named points and at
// arbitrary times, then continued by the same call, gives the datasets and
// attributes of an uninterrupted one; a changed input is refused.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/error.h"
#include "data_pipeline/conversion_spool.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/images_to_hdf5.h"
#include "formats/hdf5_file.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// 700 small images in 3 classes (past two commits of 256), one unreadable.
ImageListing make_inputs(const std::string& folder) {
  JpegCodec codec;
  ImageListing listing;
  listing.class_names = {"a", "b", "c"};
  listing.class_ids = {"n1", "n2", "n3"};
  fs::create_directories(folder);
  for (int i = 0; i < 700; ++i) {
    const std::string path = folder + "/" + std::to_string(i) + ".jpg";
    if (i == 300)
      testing::write_bytes(path, {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
    else
      testing::write_bytes(path, codec.encode_jpeg(testing::pattern_image(20 + i % 7, 24 + i % 5, i), 90));
    listing.entries.push_back({path, static_cast<int32_t>(i % 3)});
  }
  return listing;
}

ImagesToHdf5Options options_for(const std::string& out, ImageStorage storage) {
  ImagesToHdf5Options o;
  o.out = out;
  o.size = 16;
  o.storage = storage;
  o.threads = 2;
  o.show_progress = false;
  return o;
}

// Runs the conversion in a child; kill_point: the test hook's point and count
// at which the child SIGKILLs itself (empty: none). Returns the wait status.
int convert_in_child(const ImageListing& listing, ImagesToHdf5Options options, const std::string& kill_point = "",
                     int64_t kill_count = 0, int kill_after_ms = -1) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!kill_point.empty())
      options.test_hook = [&](const char* point, int64_t count) {
        if (kill_point == point && count >= kill_count) ::kill(::getpid(), SIGKILL);
      };
    try {
      images_to_hdf5(listing, options);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  if (kill_after_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// The two files hold the same datasets and attributes, bit for bit.
void expect_same_file(const std::string& expected, const std::string& actual) {
  const std::string command = std::string(H5DIFF) + " -q '" + expected + "' '" + actual + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  const Hdf5File a(expected, Hdf5File::Mode::kRead), b(actual, Hdf5File::Mode::kRead);
  for (const char* name : {"channel_mean", "channel_std", "pca_eigval", "pca_eigvec"})
    EXPECT_EQ(a.attribute_doubles("/", name), b.attribute_doubles("/", name)) << name;
  EXPECT_EQ(a.read_strings("/class_ids"), b.read_strings("/class_ids"));
  EXPECT_EQ(a.dataset_shape("/labels"), b.dataset_shape("/labels"));
}

class ConversionResume : public ::testing::TestWithParam<ImageStorage> {};

TEST_P(ConversionResume, KilledAtEachCommitPointThenContinuedEqualsAnUninterruptedRun) {
  TempDir dir;
  const ImageListing listing = make_inputs(dir.file("in"));
  const std::string reference = dir.file("reference.h5"), out = dir.file("out.h5");
  const ImagesToHdf5Report whole = images_to_hdf5(listing, options_for(reference, GetParam()));
  EXPECT_EQ(whole.written, 699);
  EXPECT_EQ(whole.resumed_from, 0);
  struct Kill {
    const char* point;
    int64_t count;
    int64_t resumes_from;  // the last commit before the kill
  };
  for (const Kill& kill : {Kill{"before-commit", 512, 256}, Kill{"committed", 512, 512},
                           Kill{"assembling", 0, 700}}) {
    SCOPED_TRACE(kill.point);
    const int status = convert_in_child(listing, options_for(out, GetParam()), kill.point, kill.count);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    EXPECT_FALSE(fs::exists(out)) << "a partial conversion must never look finished";
    EXPECT_TRUE(fs::exists(partial_folder_for(out) + "/state.json"));
    const ImagesToHdf5Report resumed = images_to_hdf5(listing, options_for(out, GetParam()));
    EXPECT_EQ(resumed.resumed_from, kill.resumes_from);
    EXPECT_EQ(resumed.written, 699);
    EXPECT_EQ(resumed.skipped_files, whole.skipped_files);
    EXPECT_FALSE(fs::exists(partial_folder_for(out))) << "the finished conversion removes its partial folder";
    expect_same_file(reference, out);
    fs::remove(out);
  }
}

TEST_P(ConversionResume, KilledAtArbitraryTimesThenContinuedEqualsAnUninterruptedRun) {
  TempDir dir;
  const ImageListing listing = make_inputs(dir.file("in"));
  const std::string reference = dir.file("reference.h5"), out = dir.file("out.h5");
  const auto start = std::chrono::steady_clock::now();
  images_to_hdf5(listing, options_for(reference, GetParam()));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  // Kills spread over a whole run, the late ones in the file's assembly and its flushes.
  int killed = 0;
  for (double fraction : {0.15, 0.4, 0.7, 0.9, 0.97, 1.02}) {
    const int status = convert_in_child(listing, options_for(out, GetParam()), "", 0,
                                        static_cast<int>(fraction * ms + 5));  // + fork's start-up
    killed += WIFSIGNALED(status) ? 1 : 0;
    if (fs::exists(out)) break;  // it finished before the kill
  }
  EXPECT_GE(killed, 1);
  images_to_hdf5(listing, options_for(out, GetParam()));
  expect_same_file(reference, out);
}

INSTANTIATE_TEST_SUITE_P(Storage, ConversionResume, ::testing::Values(ImageStorage::kRaw, ImageStorage::kJpeg),
                         [](const auto& info) { return info.param == ImageStorage::kRaw ? "Raw" : "Jpeg"; });

TEST(ConversionResume, AChangedInputIsRefusedAndRestartStartsOver) {
  TempDir dir;
  ImageListing listing = make_inputs(dir.file("in"));
  const std::string out = dir.file("out.h5");
  const int status = convert_in_child(listing, options_for(out, ImageStorage::kRaw), "committed", 256);
  ASSERT_TRUE(WIFSIGNALED(status));
  // One input rewritten (another size and time): its partial work no longer holds.
  testing::write_bytes(listing.entries[10].path,
                       JpegCodec().encode_jpeg(testing::pattern_image(33, 31, 99), 80));
  testing::expect_error([&] { images_to_hdf5(listing, options_for(out, ImageStorage::kRaw)); },
                        "holds a partial conversion of other inputs or options (256 of 700 images done");
  // Other options are refused the same way.
  ImagesToHdf5Options bigger = options_for(out, ImageStorage::kRaw);
  bigger.size = 20;
  testing::expect_error([&] { images_to_hdf5(listing, bigger); }, "rerun with --restart to discard it");
  // A damaged state file is named, never trusted.
  const std::string state = partial_folder_for(out) + "/state.json";
  std::ofstream(state) << R"({"version":1,"fingerprint":"x","total":700,"next_input":256,"records":9,"bytes":0,)"
                       << R"("skipped":[],"moments":[]})";
  testing::expect_error([&] { images_to_hdf5(listing, options_for(out, ImageStorage::kRaw)); },
                        "state.json' is unreadable (its counts disagree); rerun with --restart");
  ImagesToHdf5Options restart = options_for(out, ImageStorage::kRaw);
  restart.restart = true;
  const ImagesToHdf5Report report = images_to_hdf5(listing, restart);
  EXPECT_EQ(report.resumed_from, 0);
  EXPECT_EQ(report.written, 699);
}

}  // namespace
}  // namespace convoy
