// ILSVRC-2012 as it ships: the training set's <wnid>/ folders, the flat
// validation folder and its labels (Kaggle's LOC_val_solution.csv, or the
// devkit's ILSVRC2012_validation_ground_truth.txt with meta.mat), and the
// class list. A class's index is its wnid's position in sorted order (the
// Caffe/torchvision convention); every label goes through the wnid, never
// through a position in some other file's order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data_pipeline/images_to_hdf5.h"

namespace convoy {

// The classes of a conversion: wnids sorted (index = position) and their names.
struct ClassList {
  std::vector<std::string> ids;
  std::vector<std::string> names;
  std::string source;  // the file they came from, for messages
  // The index of `wnid`, or -1.
  int32_t index_of(const std::string& wnid) const;
};

// LOC_synset_mapping.txt: "n01440764 tench, Tinca tinca" lines (any order).
ClassList read_synset_mapping(const std::string& path);

// The devkit's meta.mat (read with matio): the synsets with num_children == 0
// are the classes; ilsvrc_ids maps their ILSVRC2012_ID (1-based) to the wnid.
struct DevkitMeta {
  ClassList classes;
  std::map<int, std::string> wnid_of_ilsvrc_id;
};
DevkitMeta read_devkit_meta(const std::string& path);

// Writes a meta.mat shaped as the devkit's (struct array 'synsets' with all
// its fields), for ILSVRC-shaped test and benchmark trees.
struct DevkitSynset {
  int ilsvrc_id = 0;
  std::string wnid, words;
  int num_children = 0;  // 0: one of the classes
};
void write_devkit_meta(const std::string& path, const std::vector<DevkitSynset>& synsets);

// The /class_ids and /class_names of an HDF5 file this converter wrote (a
// training set), so that its validation set gets the same classes.
ClassList read_class_list_from_hdf5(const std::string& path);

// Both lists must hold the same wnids; else a user error naming both files.
void check_same_classes(const ClassList& a, const ClassList& b);

// The training folder: one <wnid>/ folder per class of `classes`, each
// holding that class's images. A folder that is not a class, or a class
// without a folder, is a user error naming it.
ImageListing list_ilsvrc_train(const std::string& folder, const ClassList& classes);

// Validation labels by image name without extension ("ILSVRC2012_val_00000001" -> wnid).
using ValLabels = std::map<std::string, std::string>;
// LOC_val_solution.csv: "ImageId,PredictionString", the first token of the prediction is the wnid.
ValLabels read_val_solution_csv(const std::string& path);
// The devkit's ground truth: line i (1-based) is the ILSVRC2012_ID of ILSVRC2012_val_<i, 8 digits>.
ValLabels read_val_ground_truth(const std::string& path, const DevkitMeta& meta);
// Whether `path` looks like LOC_val_solution.csv (its header) rather than a ground-truth file.
bool is_val_solution_csv(const std::string& path);

// The flat validation folder, every image labelled through its wnid. An image
// without a label, a label naming an unknown wnid or a labelled image missing
// from the folder is a user error naming the file.
ImageListing list_ilsvrc_val(const std::string& folder, const ValLabels& labels, const std::string& labels_path,
                             const ClassList& classes);


// The files an ILSVRC conversion takes besides the image folder (empty: not given).
struct IlsvrcSources {
  std::string synset_mapping;  // LOC_synset_mapping.txt
  std::string devkit_meta;     // the devkit's meta.mat
  std::string classes_from;    // an HDF5 file converted before (the training set)
  std::string val_labels;      // LOC_val_solution.csv or the devkit's ground truth: the folder is the val set
  bool any() const { return !(synset_mapping + devkit_meta + classes_from + val_labels).empty(); }
};

// The training folder (no val_labels) or the validation folder, with the
// classes every given source agrees on (one at least).
ImageListing list_ilsvrc(const std::string& folder, const IlsvrcSources& sources);

}  // namespace convoy
