// A small ILSVRC-2012-shaped tree, as the real files ship: <wnid>/ training
// folders, a flat validation folder, LOC_synset_mapping.txt,
// LOC_val_solution.csv, the devkit's ground-truth file and meta.mat (written
// with convoy's matio writer). Its four classes' ILSVRC2012_IDs are not in sorted-wnid order,
// so a label mapped by position instead of by wnid comes out wrong.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data_pipeline/ilsvrc.h"
#include "data_pipeline/image_codec.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy::testing {

struct IlsvrcTree {
  std::string root, train, val, mapping, solution_csv, ground_truth, meta;
  // In sorted-wnid order: the class index of each.
  std::vector<std::string> sorted_wnids = {"n01000001", "n02000002", "n03000003", "n04000004"};
  std::vector<std::string> names = {"alpha, first", "beta", "gamma, third one", "delta"};
  // Validation image i (1-based) and its true class index (through the wnid).
  std::vector<int32_t> val_labels;

  explicit IlsvrcTree(const std::string& folder) : root(folder) {
    namespace fs = std::filesystem;
    train = root + "/train";
    val = root + "/val";
    mapping = root + "/LOC_synset_mapping.txt";
    solution_csv = root + "/LOC_val_solution.csv";
    ground_truth = root + "/ILSVRC2012_validation_ground_truth.txt";
    meta = root + "/meta.mat";
    // The devkit numbers the classes in its own order: ID 1 is the second wnid, and so on.
    const std::vector<int> id_to_class = {1, 0, 3, 2};  // ILSVRC2012_ID - 1 -> sorted index
    std::vector<DevkitSynset> synsets;
    for (int id = 1; id <= 4; ++id) {
      const int c = id_to_class[id - 1];
      synsets.push_back({id, sorted_wnids[c], names[c], 0});
    }
    synsets.push_back({5, "n09000009", "a parent synset", 2});  // not a class
    write_devkit_meta(meta, synsets);
    {
      std::ofstream out(mapping);  // the real file is sorted; this one is not, and must not matter
      for (int c : {2, 0, 3, 1}) out << sorted_wnids[c] << ' ' << names[c] << '\n';
    }
    JpegCodec codec;
    for (size_t c = 0; c < sorted_wnids.size(); ++c) {
      const fs::path dir = fs::path(train) / sorted_wnids[c];
      fs::create_directories(dir);
      for (int k = 0; k < 2; ++k)
        write_bytes((dir / (sorted_wnids[c] + "_" + std::to_string(k) + ".JPEG")).string(),
                    codec.encode_jpeg(pattern_image(30 + 7 * k, 40, static_cast<int>(4 * c + k)), 92));
    }
    // The real set's quirks: a PNG named .JPEG, a CMYK JPEG, a greyscale JPEG.
    const Image png = pattern_image(24, 36, 20);
    write_png(train + "/" + sorted_wnids[0] + "/" + sorted_wnids[0] + "_png.JPEG", png.pixels.data(), 24, 36,
              PNG_FORMAT_RGB);
    write_bytes(train + "/" + sorted_wnids[1] + "/" + sorted_wnids[1] + "_cmyk.JPEG",
                cmyk_jpeg(pattern_image(33, 29, 21), 92));
    write_bytes(train + "/" + sorted_wnids[2] + "/" + sorted_wnids[2] + "_grey.JPEG",
                codec.encode_jpeg(pattern_image(26, 31, 22, 1), 92));
    // Six validation images; the ground truth holds their ILSVRC2012_IDs in file order.
    fs::create_directories(val);
    const std::vector<int> ids = {1, 2, 3, 4, 2, 1};
    std::ofstream truth(ground_truth), csv(solution_csv);
    std::vector<std::string> rows;
    for (size_t i = 0; i < ids.size(); ++i) {
      char name[40];
      std::snprintf(name, sizeof name, "ILSVRC2012_val_%08zu", i + 1);
      write_bytes(val + "/" + name + ".JPEG", codec.encode_jpeg(pattern_image(28, 28 + 3 * i, 30 + i), 92));
      const int c = id_to_class[ids[i] - 1];
      val_labels.push_back(c);
      truth << ids[i] << '\n';
      // Kaggle's rows: the wnid and a box, repeated per object.
      rows.push_back(std::string(name) + ',' + sorted_wnids[c] + " 10 12 20 22 " + sorted_wnids[c] + " 1 2 3 4");
    }
    csv << "ImageId,PredictionString\n";  // its rows are in no particular order: here, reversed
    for (auto row = rows.rbegin(); row != rows.rend(); ++row) csv << *row << '\n';
  }
};

}  // namespace convoy::testing
