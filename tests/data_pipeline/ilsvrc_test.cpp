#include "data_pipeline/ilsvrc.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "formats/hdf5_file.h"
#include "tests/data_pipeline/ilsvrc_tree.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::IlsvrcTree;
using testing::TempDir;

std::vector<int32_t> labels_of(const ImageListing& listing) {
  std::vector<int32_t> labels;
  for (const auto& e : listing.entries) labels.push_back(e.label);
  return labels;
}

ImagesToHdf5Options small_raw(const std::string& out) {
  ImagesToHdf5Options o;
  o.out = out;
  o.size = 16;
  o.threads = 2;
  o.strict = true;  // every quirk must convert, none be skipped
  o.show_progress = false;
  return o;
}

TEST(Ilsvrc, SynsetMappingSortsByWnidAndKeepsNames) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  const ClassList classes = read_synset_mapping(tree.mapping);
  EXPECT_EQ(classes.ids, tree.sorted_wnids);
  EXPECT_EQ(classes.names, tree.names);
  EXPECT_EQ(classes.index_of("n03000003"), 2);
  EXPECT_EQ(classes.index_of("n05000005"), -1);
}

TEST(Ilsvrc, DevkitMetaGivesTheLeafSynsetsAndTheirIds) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  const DevkitMeta meta = read_devkit_meta(tree.meta);
  EXPECT_EQ(meta.classes.ids, tree.sorted_wnids);  // the parent synset is not a class
  EXPECT_EQ(meta.classes.names, tree.names);
  ASSERT_EQ(meta.wnid_of_ilsvrc_id.size(), 4u);
  EXPECT_EQ(meta.wnid_of_ilsvrc_id.at(1), "n02000002");
  EXPECT_EQ(meta.wnid_of_ilsvrc_id.at(3), "n04000004");
}

TEST(Ilsvrc, TrainingFolderConvertsWithSortedWnidLabelsAndTheQuirks) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  IlsvrcSources sources;
  sources.synset_mapping = tree.mapping;
  const ImageListing listing = list_ilsvrc(tree.train, sources);
  ASSERT_EQ(listing.entries.size(), 11u);  // 4 x 2 plus the PNG, CMYK and greyscale files
  for (const auto& e : listing.entries)
    EXPECT_EQ(fs::path(e.path).parent_path().filename().string(), tree.sorted_wnids[e.label]) << e.path;
  const std::string out = dir.file("train.h5");
  const ImagesToHdf5Report report = images_to_hdf5(listing, small_raw(out));
  EXPECT_EQ(report.written, 11);
  EXPECT_EQ(report.skipped, 0);
  const Hdf5File file(out, Hdf5File::Mode::kRead);
  EXPECT_EQ(file.read_strings("/class_ids"), tree.sorted_wnids);
  EXPECT_EQ(file.read_strings("/class_names"), tree.names);
  std::vector<int32_t> labels(11);
  file.read("/labels", labels.data(), 11);
  EXPECT_EQ(labels, labels_of(listing));
  EXPECT_EQ(file.attribute_int("/", "num_classes"), 4);
}

TEST(Ilsvrc, ValidationLabelsGoThroughTheWnidNotThePosition) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  IlsvrcSources csv;
  csv.synset_mapping = tree.mapping;
  csv.val_labels = tree.solution_csv;
  IlsvrcSources devkit;
  devkit.devkit_meta = tree.meta;
  devkit.val_labels = tree.ground_truth;
  const std::vector<int32_t> from_csv = labels_of(list_ilsvrc(tree.val, csv));
  const std::vector<int32_t> from_devkit = labels_of(list_ilsvrc(tree.val, devkit));
  EXPECT_EQ(from_csv, tree.val_labels);
  EXPECT_EQ(from_devkit, tree.val_labels);
  // The classic bug, ILSVRC2012_ID - 1 taken as the class index, gives other labels here.
  std::vector<int32_t> by_position;
  std::ifstream truth(tree.ground_truth);
  for (int id; truth >> id;) by_position.push_back(id - 1);
  EXPECT_NE(by_position, tree.val_labels);
}

TEST(Ilsvrc, ValidationTakesItsClassesFromTheConvertedTrainingSet) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  IlsvrcSources train;
  train.synset_mapping = tree.mapping;
  const std::string train_h5 = dir.file("train.h5");
  images_to_hdf5(list_ilsvrc(tree.train, train), small_raw(train_h5));
  IlsvrcSources val;
  val.classes_from = train_h5;
  val.val_labels = tree.solution_csv;
  const ImageListing listing = list_ilsvrc(tree.val, val);
  EXPECT_EQ(labels_of(listing), tree.val_labels);
  const std::string val_h5 = dir.file("val.h5");
  images_to_hdf5(listing, small_raw(val_h5));
  const Hdf5File a(train_h5, Hdf5File::Mode::kRead), b(val_h5, Hdf5File::Mode::kRead);
  EXPECT_EQ(a.read_strings("/class_ids"), b.read_strings("/class_ids"));
  EXPECT_EQ(a.read_strings("/class_names"), b.read_strings("/class_names"));
}

TEST(Ilsvrc, TrainingRefusesAValidationSetOfOtherClasses) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  IlsvrcSources train_sources;
  train_sources.synset_mapping = tree.mapping;
  images_to_hdf5(list_ilsvrc(tree.train, train_sources), small_raw(dir.file("train.h5")));
  // The same images with the last class's id changed, then with a class fewer.
  ImageListing other = list_ilsvrc(tree.val, IlsvrcSources{tree.mapping, "", "", tree.solution_csv});
  other.class_ids[3] = "n05000005";
  images_to_hdf5(other, small_raw(dir.file("other.h5")));
  for (auto& e : other.entries) e.label = std::min(e.label, 2);
  other.class_ids.pop_back();
  other.class_names.pop_back();
  images_to_hdf5(other, small_raw(dir.file("fewer.h5")));
  images_to_hdf5(list_ilsvrc(tree.val, IlsvrcSources{"", "", dir.file("train.h5"), tree.solution_csv}),
                 small_raw(dir.file("val.h5")));
  const ImageDataset train = ImageDataset::open(dir.file("train.h5"));
  check_same_classes(train, ImageDataset::open(dir.file("val.h5")));  // converted with --classes-from: agrees
  expect_error([&] { check_same_classes(train, ImageDataset::open(dir.file("other.h5"))); },
               "gives class 3 the id 'n05000005' but training file");
  expect_error([&] { check_same_classes(train, ImageDataset::open(dir.file("fewer.h5"))); },
               "has 3 classes but training file");
}

TEST(Ilsvrc, TheRealFirstValidationImageIsASeaSnakeOfClass65) {
  // The 1,000 real wnids; the sanity check docs/imagenet.md states.
  const std::string classes_txt = std::string(CONVOY_SOURCE_DIR) + "/../shared/data/imagenet-samples/classes.txt";
  if (!fs::exists(classes_txt)) GTEST_SKIP() << "no " << classes_txt;
  TempDir dir;
  std::ifstream in(classes_txt);
  std::ofstream mapping(dir.file("LOC_synset_mapping.txt"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string index, wnid, name;
    fields >> index >> wnid;
    std::getline(fields, name);
    mapping << wnid << name << '\n';
  }
  mapping.close();
  const ClassList classes = read_synset_mapping(dir.file("LOC_synset_mapping.txt"));
  ASSERT_EQ(classes.ids.size(), 1000u);
  EXPECT_EQ(classes.index_of("n01751748"), 65);
  EXPECT_NE(classes.names[65].find("sea_snake"), std::string::npos) << classes.names[65];
  std::ofstream(dir.file("LOC_val_solution.csv")) << "ImageId,PredictionString\n"
                                                   << "ILSVRC2012_val_00000001,n01751748 111 108 441 193\n";
  fs::create_directories(dir.file("val"));
  testing::write_bytes(dir.file("val/ILSVRC2012_val_00000001.JPEG"),
                       JpegCodec().encode_jpeg(testing::pattern_image(20, 20, 1), 90));
  IlsvrcSources sources;
  sources.synset_mapping = dir.file("LOC_synset_mapping.txt");
  sources.val_labels = dir.file("LOC_val_solution.csv");
  EXPECT_EQ(labels_of(list_ilsvrc(dir.file("val"), sources)), std::vector<int32_t>{65});
}

TEST(Ilsvrc, BadLayoutsAreClearErrorsNamingTheFile) {
  TempDir dir;
  IlsvrcTree tree(dir.path().string());
  IlsvrcSources csv;
  csv.synset_mapping = tree.mapping;
  csv.val_labels = tree.solution_csv;
  // No class source at all.
  expect_error([&] { list_ilsvrc(tree.train, IlsvrcSources{"", "", "", tree.solution_csv}); }, "needs its classes");
  // A validation image without a label.
  testing::write_bytes(tree.val + "/ILSVRC2012_val_00000099.JPEG",
                       JpegCodec().encode_jpeg(testing::pattern_image(20, 20, 1), 90));
  expect_error([&] { list_ilsvrc(tree.val, csv); }, "ILSVRC2012_val_00000099.JPEG' has no label");
  fs::remove(tree.val + "/ILSVRC2012_val_00000099.JPEG");
  // A labelled image missing from the folder.
  fs::rename(tree.val + "/ILSVRC2012_val_00000003.JPEG", dir.file("aside.JPEG"));
  expect_error([&] { list_ilsvrc(tree.val, csv); }, "'ILSVRC2012_val_00000003' (n04000004) is missing");
  fs::rename(dir.file("aside.JPEG"), tree.val + "/ILSVRC2012_val_00000003.JPEG");
  // An unknown wnid in the labels.
  std::ofstream(dir.file("bad.csv")) << "ImageId,PredictionString\nILSVRC2012_val_00000001,n07777777 1 2 3 4\n";
  expect_error([&] { list_ilsvrc(tree.val, IlsvrcSources{tree.mapping, "", "", dir.file("bad.csv")}); },
               "with 'n07777777', which is not a class of");
  // Labels that are not there; a CSV without its header, a ground truth without meta.mat, an ID no class has.
  expect_error([&] { list_ilsvrc(tree.val, IlsvrcSources{tree.mapping, "", "", dir.file("nowhere.csv")}); },
               "nowhere.csv' do not exist");
  std::ofstream(dir.file("headless.csv")) << "ILSVRC2012_val_00000001,n01000001 1 2 3 4\n";
  expect_error([&] { read_val_solution_csv(dir.file("headless.csv")); }, "expected the header");
  expect_error([&] { list_ilsvrc(tree.val, IlsvrcSources{tree.mapping, "", "", tree.ground_truth}); },
               "give the devkit's meta.mat");
  std::ofstream(dir.file("truth.txt")) << "1\n5\n";
  expect_error([&] { read_val_ground_truth(dir.file("truth.txt"), read_devkit_meta(tree.meta)); },
               "line 2: '5' is not the ILSVRC2012_ID");
  // A wnid folder that is not in the mapping, then a class without a folder.
  fs::create_directories(tree.train + "/n05000005");
  expect_error([&] { list_ilsvrc(tree.train, IlsvrcSources{tree.mapping, "", "", ""}); },
               "n05000005' is not a class of '" + tree.mapping + "'");
  fs::remove_all(tree.train + "/n05000005");
  fs::remove_all(tree.train + "/n03000003");
  expect_error([&] { list_ilsvrc(tree.train, IlsvrcSources{tree.mapping, "", "", ""}); },
               "class 'n03000003' of '" + tree.mapping + "' has no folder");
  // Train and val with different class sets.
  std::ofstream(dir.file("three.txt")) << "n01000001 a\nn02000002 b\nn03000003 c\n";
  expect_error([&] { list_ilsvrc(tree.val, IlsvrcSources{dir.file("three.txt"), tree.meta, "", tree.ground_truth}); },
               "give different class sets: 0 only in the first, 1 only in the second (e.g. n04000004)");
  // Not a .mat file, not a synset mapping.
  expect_error([&] { read_devkit_meta(tree.mapping); }, "cannot read devkit meta file");
  expect_error([&] { read_synset_mapping(tree.solution_csv); }, "expected '<wnid> <names>'");
}

}  // namespace
}  // namespace convoy
