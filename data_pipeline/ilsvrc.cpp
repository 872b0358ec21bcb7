#include "data_pipeline/ilsvrc.h"

#include <matio.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace fs = std::filesystem;

namespace {

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool looks_like_wnid(const std::string& text) {
  return text.size() == 9 && text[0] == 'n' &&
         std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Sorts (wnid, name) pairs by wnid into a ClassList; a repeated wnid is a user error.
ClassList sorted_classes(std::vector<std::pair<std::string, std::string>> pairs, const std::string& source) {
  if (pairs.empty()) CONVOY_USER_ERROR("'", source, "' lists no classes");
  std::sort(pairs.begin(), pairs.end());
  ClassList classes;
  classes.source = source;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0 && pairs[i].first == pairs[i - 1].first)
      CONVOY_USER_ERROR("'", source, "' lists class '", pairs[i].first, "' twice");
    classes.ids.push_back(pairs[i].first);
    classes.names.push_back(pairs[i].second);
  }
  return classes;
}

// The image files of a folder (hidden files and sub-folders skipped), sorted.
std::vector<std::string> files_in(const fs::path& folder) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (!entry.is_directory() && entry.path().filename().string()[0] != '.') files.push_back(entry.path().string());
  if (ec) CONVOY_USER_ERROR("cannot list folder '", folder.string(), "': ", ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// ---- meta.mat through matio ----

struct MatFileCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct MatVarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};

std::string mat_string(matvar_t* var, const std::string& what, const std::string& path) {
  if (var == nullptr || var->class_type != MAT_C_CHAR)
    CONVOY_USER_ERROR("devkit meta file '", path, "': ", what, " is not a character array");
  const size_t count = var->nbytes / static_cast<size_t>(std::max(var->data_size, 1));
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    unsigned code = 0;
    if (var->data_size == 1) code = static_cast<const uint8_t*>(var->data)[i];
    else if (var->data_size == 2) code = static_cast<const uint16_t*>(var->data)[i];
    else if (var->data_size == 4) code = static_cast<const uint32_t*>(var->data)[i];
    text.push_back(code < 128 ? static_cast<char>(code) : '?');
  }
  return text;
}

double mat_number(matvar_t* var, const std::string& what, const std::string& path) {
  if (var == nullptr || var->data == nullptr || var->data_size <= 0 || var->nbytes < static_cast<size_t>(var->data_size))
    CONVOY_USER_ERROR("devkit meta file '", path, "': ", what, " is missing or empty");
  switch (var->class_type) {
    case MAT_C_DOUBLE: return *static_cast<const double*>(var->data);
    case MAT_C_SINGLE: return *static_cast<const float*>(var->data);
    case MAT_C_INT8: return *static_cast<const int8_t*>(var->data);
    case MAT_C_UINT8: return *static_cast<const uint8_t*>(var->data);
    case MAT_C_INT16: return *static_cast<const int16_t*>(var->data);
    case MAT_C_UINT16: return *static_cast<const uint16_t*>(var->data);
    case MAT_C_INT32: return *static_cast<const int32_t*>(var->data);
    case MAT_C_UINT32: return *static_cast<const uint32_t*>(var->data);
    case MAT_C_INT64: return static_cast<double>(*static_cast<const int64_t*>(var->data));
    case MAT_C_UINT64: return static_cast<double>(*static_cast<const uint64_t*>(var->data));
    default: CONVOY_USER_ERROR("devkit meta file '", path, "': ", what, " is not a number");
  }
}

}  // namespace

int32_t ClassList::index_of(const std::string& wnid) const {
  const auto it = std::lower_bound(ids.begin(), ids.end(), wnid);
  return it != ids.end() && *it == wnid ? static_cast<int32_t>(it - ids.begin()) : -1;
}

ClassList read_synset_mapping(const std::string& path) {
  std::ifstream in(path);
  if (!in) CONVOY_USER_ERROR("cannot open synset mapping '", path, "'");
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    line = trimmed(line);
    if (line.empty()) continue;
    const size_t space = line.find_first_of(" \t");
    const std::string wnid = line.substr(0, space);
    if (!looks_like_wnid(wnid))
      CONVOY_USER_ERROR("synset mapping '", path, "' line ", number, ": expected '<wnid> <names>' (e.g. 'n01440764 ",
                        "tench, Tinca tinca'), got '", line, "'");
    pairs.emplace_back(wnid, space == std::string::npos ? wnid : trimmed(line.substr(space)));
  }
  return sorted_classes(std::move(pairs), path);
}

DevkitMeta read_devkit_meta(const std::string& path) {
  if (!fs::exists(path)) CONVOY_USER_ERROR("devkit meta file '", path, "' does not exist");
  std::unique_ptr<mat_t, MatFileCloser> mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) CONVOY_USER_ERROR("cannot read devkit meta file '", path, "' (not a MATLAB .mat file?)");
  std::unique_ptr<matvar_t, MatVarFreer> synsets(Mat_VarRead(mat.get(), "synsets"));
  if (!synsets || synsets->class_type != MAT_C_STRUCT)
    CONVOY_USER_ERROR("devkit meta file '", path, "' has no struct array 'synsets'");
  size_t count = 1;
  for (int d = 0; d < synsets->rank; ++d) count *= synsets->dims[d];
  DevkitMeta meta;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < count; ++i) {
    auto field = [&](const char* name) { return Mat_VarGetStructFieldByName(synsets.get(), name, i); };
    const std::string where = "synsets(" + std::to_string(i + 1) + ").";
    if (mat_number(field("num_children"), where + "num_children", path) != 0) continue;
    const double id = mat_number(field("ILSVRC2012_ID"), where + "ILSVRC2012_ID", path);
    const std::string wnid = mat_string(field("WNID"), where + "WNID", path);
    const std::string words = mat_string(field("words"), where + "words", path);
    if (!looks_like_wnid(wnid))
      CONVOY_USER_ERROR("devkit meta file '", path, "': ", where, "WNID is '", wnid, "', not a WordNet id");
    if (!meta.wnid_of_ilsvrc_id.emplace(static_cast<int>(id), wnid).second)
      CONVOY_USER_ERROR("devkit meta file '", path, "': ILSVRC2012_ID ", id, " is given twice");
    pairs.emplace_back(wnid, words);
  }
  meta.classes = sorted_classes(std::move(pairs), path);
  return meta;
}

void write_devkit_meta(const std::string& path, const std::vector<DevkitSynset>& synsets) {
  std::unique_ptr<mat_t, MatFileCloser> mat(Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5));
  if (!mat) CONVOY_USER_ERROR("cannot create '", path, "'");
  const char* fields[] = {"ILSVRC2012_ID", "WNID",     "words",          "gloss",
                          "num_children",  "children", "wordnet_height", "num_train_images"};
  size_t dims[2] = {synsets.size(), 1};
  std::unique_ptr<matvar_t, MatVarFreer> array(Mat_VarCreateStruct("synsets", 2, dims, fields, 8));
  auto number = [](double value) {
    size_t one[2] = {1, 1};
    return Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one, &value, 0);
  };
  auto small_number = [](uint8_t value) {  // the devkit stores some fields as integers
    size_t one[2] = {1, 1};
    return Mat_VarCreate(nullptr, MAT_C_UINT8, MAT_T_UINT8, 2, one, &value, 0);
  };
  auto text = [](const std::string& value) {
    size_t size[2] = {1, value.size()};
    return Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UINT8, 2, size, const_cast<char*>(value.data()), 0);
  };
  for (size_t i = 0; i < synsets.size(); ++i) {
    const DevkitSynset& s = synsets[i];
    matvar_t* a = array.get();
    Mat_VarSetStructFieldByName(a, "ILSVRC2012_ID", i, number(s.ilsvrc_id));
    Mat_VarSetStructFieldByName(a, "WNID", i, text(s.wnid));
    Mat_VarSetStructFieldByName(a, "words", i, text(s.words));
    Mat_VarSetStructFieldByName(a, "gloss", i, text("a gloss of " + s.words));
    Mat_VarSetStructFieldByName(a, "num_children", i, small_number(static_cast<uint8_t>(s.num_children)));
    Mat_VarSetStructFieldByName(a, "children", i, number(s.num_children ? 1 : 0));
    Mat_VarSetStructFieldByName(a, "wordnet_height", i, number(s.num_children ? 2 : 0));
    Mat_VarSetStructFieldByName(a, "num_train_images", i, number(s.num_children ? 0 : 1300));
  }
  if (Mat_VarWrite(mat.get(), array.get(), MAT_COMPRESSION_NONE) != 0) CONVOY_USER_ERROR("cannot write '", path, "'");
}

ClassList read_class_list_from_hdf5(const std::string& path) {
  if (!fs::exists(path)) CONVOY_USER_ERROR("class source '", path, "' does not exist");
  const Hdf5File file(path, Hdf5File::Mode::kRead);
  if (!file.has("/class_ids"))
    CONVOY_USER_ERROR("'", path, "' has no /class_ids (convert the training set with this version of ",
                      "images_to_hdf5 first)");
  ClassList classes;
  classes.source = path;
  classes.ids = file.read_strings("/class_ids");
  classes.names = file.has("/class_names") ? file.read_strings("/class_names") : classes.ids;
  if (classes.names.size() != classes.ids.size() || !std::is_sorted(classes.ids.begin(), classes.ids.end()))
    CONVOY_USER_ERROR("'", path, "': /class_ids is not a sorted list matching /class_names");
  return classes;
}

void check_same_classes(const ClassList& a, const ClassList& b) {
  if (a.ids == b.ids) return;
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.ids.begin(), a.ids.end(), b.ids.begin(), b.ids.end(), std::back_inserter(only_a));
  std::set_difference(b.ids.begin(), b.ids.end(), a.ids.begin(), a.ids.end(), std::back_inserter(only_b));
  CONVOY_USER_ERROR("'", a.source, "' (", a.ids.size(), " classes) and '", b.source, "' (", b.ids.size(),
                    " classes) give different class sets: ", only_a.size(), " only in the first",
                    only_a.empty() ? "" : " (e.g. " + only_a.front() + ")", ", ", only_b.size(),
                    " only in the second", only_b.empty() ? "" : " (e.g. " + only_b.front() + ")");
}

ImageListing list_ilsvrc_train(const std::string& folder, const ClassList& classes) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) CONVOY_USER_ERROR("input folder '", folder, "' does not exist or is not a folder");
  std::set<std::string> present;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name[0] == '.') continue;
    if (classes.index_of(name) < 0)
      CONVOY_USER_ERROR("class folder '", entry.path().string(), "' is not a class of '", classes.source, "'");
    present.insert(name);
  }
  if (ec) CONVOY_USER_ERROR("cannot list input folder '", folder, "': ", ec.message());
  ImageListing listing;
  listing.class_ids = classes.ids;
  listing.class_names = classes.names;
  for (size_t c = 0; c < classes.ids.size(); ++c) {
    if (!present.count(classes.ids[c]))
      CONVOY_USER_ERROR("class '", classes.ids[c], "' of '", classes.source, "' has no folder in '", folder, "'");
    for (auto& f : files_in(fs::path(folder) / classes.ids[c]))
      listing.entries.push_back({std::move(f), static_cast<int32_t>(c)});
  }
  if (listing.entries.empty()) CONVOY_USER_ERROR("input folder '", folder, "' holds no image files");
  return listing;
}

bool is_val_solution_csv(const std::string& path) {
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  return trimmed(header).rfind("ImageId,", 0) == 0;
}

ValLabels read_val_solution_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) CONVOY_USER_ERROR("cannot open validation labels '", path, "'");
  std::string line;
  std::getline(in, line);
  if (trimmed(line).rfind("ImageId,PredictionString", 0) != 0)
    CONVOY_USER_ERROR("validation labels '", path, "': expected the header 'ImageId,PredictionString', got '",
                      trimmed(line), "'");
  ValLabels labels;
  for (int64_t number = 2; std::getline(in, line); ++number) {
    line = trimmed(line);
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    std::istringstream prediction(comma == std::string::npos ? "" : line.substr(comma + 1));
    std::string wnid;
    if (comma == std::string::npos || comma == 0 || !(prediction >> wnid) || !looks_like_wnid(wnid))
      CONVOY_USER_ERROR("validation labels '", path, "' line ", number,
                        ": expected 'ImageId,<wnid> <box> ...', got '", line, "'");
    if (!labels.emplace(line.substr(0, comma), wnid).second)
      CONVOY_USER_ERROR("validation labels '", path, "' line ", number, ": image '", line.substr(0, comma),
                        "' is labelled twice");
  }
  if (labels.empty()) CONVOY_USER_ERROR("validation labels '", path, "' label no image");
  return labels;
}

ValLabels read_val_ground_truth(const std::string& path, const DevkitMeta& meta) {
  std::ifstream in(path);
  if (!in) CONVOY_USER_ERROR("cannot open validation ground truth '", path, "'");
  ValLabels labels;
  std::string line;
  int64_t image = 0;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    line = trimmed(line);
    if (line.empty()) continue;
    char* end = nullptr;
    const long id = std::strtol(line.c_str(), &end, 10);
    const auto wnid = meta.wnid_of_ilsvrc_id.find(static_cast<int>(id));
    if (*end != '\0' || wnid == meta.wnid_of_ilsvrc_id.end())
      CONVOY_USER_ERROR("validation ground truth '", path, "' line ", number, ": '", line,
                        "' is not the ILSVRC2012_ID of a class in the devkit meta file");
    char name[48];
    std::snprintf(name, sizeof name, "ILSVRC2012_val_%08lld", static_cast<long long>(++image));
    labels.emplace(name, wnid->second);
  }
  if (labels.empty()) CONVOY_USER_ERROR("validation ground truth '", path, "' labels no image");
  return labels;
}

ImageListing list_ilsvrc_val(const std::string& folder, const ValLabels& labels, const std::string& labels_path,
                             const ClassList& classes) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) CONVOY_USER_ERROR("input folder '", folder, "' does not exist or is not a folder");
  ImageListing listing;
  listing.class_ids = classes.ids;
  listing.class_names = classes.names;
  size_t found = 0;
  for (auto& file : files_in(folder)) {
    const std::string stem = fs::path(file).stem().string();
    const auto label = labels.find(stem);
    if (label == labels.end())
      CONVOY_USER_ERROR("validation image '", file, "' has no label in '", labels_path, "'");
    const int32_t index = classes.index_of(label->second);
    if (index < 0)
      CONVOY_USER_ERROR("'", labels_path, "' labels '", stem, "' with '", label->second, "', which is not a class of '",
                        classes.source, "'");
    listing.entries.push_back({std::move(file), index});
    ++found;
  }
  if (found < labels.size()) {
    std::set<std::string> present;
    for (const auto& e : listing.entries) present.insert(fs::path(e.path).stem().string());
    for (const auto& [stem, wnid] : labels)
      if (!present.count(stem))
        CONVOY_USER_ERROR("'", labels_path, "' labels ", labels.size(), " images but '", folder, "' holds ", found,
                          ": '", stem, "' (", wnid, ") is missing");
  }
  return listing;
}


ImageListing list_ilsvrc(const std::string& folder, const IlsvrcSources& sources) {
  std::vector<ClassList> lists;
  DevkitMeta meta;
  if (!sources.synset_mapping.empty()) lists.push_back(read_synset_mapping(sources.synset_mapping));
  if (!sources.devkit_meta.empty()) {
    meta = read_devkit_meta(sources.devkit_meta);
    lists.push_back(meta.classes);
  }
  if (!sources.classes_from.empty()) lists.push_back(read_class_list_from_hdf5(sources.classes_from));
  if (lists.empty())
    CONVOY_USER_ERROR("an ILSVRC conversion needs its classes: give --synset-mapping LOC_synset_mapping.txt, ",
                      "--devkit-meta meta.mat or --classes-from TRAIN.h5");
  for (size_t i = 1; i < lists.size(); ++i) check_same_classes(lists[0], lists[i]);
  if (sources.val_labels.empty()) return list_ilsvrc_train(folder, lists[0]);
  if (std::error_code ec; !fs::is_regular_file(sources.val_labels, ec))
    CONVOY_USER_ERROR("validation labels '", sources.val_labels, "' do not exist or are not a file");
  if (is_val_solution_csv(sources.val_labels))
    return list_ilsvrc_val(folder, read_val_solution_csv(sources.val_labels), sources.val_labels, lists[0]);
  if (sources.devkit_meta.empty())
    CONVOY_USER_ERROR("validation labels '", sources.val_labels, "' are a ground-truth file of ILSVRC2012_IDs: ",
                      "give the devkit's meta.mat (--devkit-meta) to map them to wnids");
  return list_ilsvrc_val(folder, read_val_ground_truth(sources.val_labels, meta), sources.val_labels, lists[0]);
}

}  // namespace convoy
