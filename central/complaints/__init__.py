"""A worker's wage complaints (欠薪投诉): filed on their own pages, followed by supervisors."""
